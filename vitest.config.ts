import { defineConfig } from 'vitest/config';

// One Vitest run over every workspace; each app and package is a project with its own config.
export default defineConfig({
  test: {
    projects: ['apps/*', 'packages/*', 'infra'],
  },
});
