/** The .env text of one service: `NAME=value` lines, values quoted when they need it. */
export declare function renderEnvFile(values: Readonly<Record<string, string>>): string;
