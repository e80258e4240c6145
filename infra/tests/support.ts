import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';

/** The repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The infra folder. */
export const infraDir = join(repoRoot, 'infra');

/** The four deployable services. */
export const SERVICES = ['voice-adapter', 'whatsapp-adapter', 'webchat-adapter', 'channel-router'] as const;

/** A deployable service. */
export type Service = (typeof SERVICES)[number];

/** A parsed block body: hcl2json keeps every attribute, expressions as `${...}` strings. */
export type Block = Record<string, unknown>;

/** The Terraform configuration of infra/ as hcl2json sees it, every file merged. */
export interface TerraformConfig {
  /** The `locals` blocks merged into one object. */
  readonly locals: Record<string, unknown>;
  /** resource type => name => body. */
  readonly resources: Record<string, Record<string, Block>>;
  /** output name => body. */
  readonly outputs: Record<string, Block>;
  /** variable name => body. */
  readonly variables: Record<string, Block>;
  /** The raw text of each .tf file, by file name. */
  readonly sources: Record<string, string>;
  /** provider name => body (the first block of that provider). */
  readonly providers: Record<string, Block>;
  /** The `terraform` settings block (required_version, required_providers). */
  readonly settings: Block;
}

let cached: Promise<TerraformConfig> | undefined;

async function readTerraform(): Promise<TerraformConfig> {
  const locals: Record<string, unknown> = {};
  const resources: Record<string, Record<string, Block>> = {};
  const outputs: Record<string, Block> = {};
  const variables: Record<string, Block> = {};
  const sources: Record<string, string> = {};
  const providers: Record<string, Block> = {};
  let settings: Block = {};
  for (const file of readdirSync(infraDir).filter((name) => name.endsWith('.tf'))) {
    const text = readFileSync(join(infraDir, file), 'utf8');
    sources[file] = text;
    const parsed = (await parseHcl(file, text)) as Record<string, unknown>;
    for (const block of (parsed.locals as Block[] | undefined) ?? []) Object.assign(locals, block);
    for (const [type, byName] of Object.entries(
      (parsed.resource as Record<string, Record<string, Block[]>>) ?? {},
    )) {
      resources[type] ??= {};
      for (const [name, [body]] of Object.entries(byName)) resources[type][name] = body ?? {};
    }
    for (const [name, [body]] of Object.entries((parsed.output as Record<string, Block[]>) ?? {}))
      outputs[name] = body ?? {};
    for (const [name, [body]] of Object.entries((parsed.variable as Record<string, Block[]>) ?? {}))
      variables[name] = body ?? {};
    for (const [name, [body]] of Object.entries((parsed.provider as Record<string, Block[]>) ?? {}))
      providers[name] = body ?? {};
    for (const block of (parsed.terraform as Block[] | undefined) ?? []) settings = { ...settings, ...block };
  }
  return { locals, resources, outputs, variables, sources, providers, settings };
}

/** Parses every .tf file of infra/ once per test file. */
export function loadTerraform(): Promise<TerraformConfig> {
  cached ??= readTerraform();
  return cached;
}

/** A resource body, failing with its address when it does not exist. */
export function resourceOf(config: TerraformConfig, type: string, name: string): Block {
  const body = config.resources[type]?.[name];
  if (body === undefined) throw new Error(`infra/ has no resource ${type}.${name}`);
  return body;
}

/** A nested block of a parsed body (hcl2json wraps blocks in arrays). */
export function blockOf(body: Block, name: string): Block {
  const blocks = body[name] as Block[] | undefined;
  const first = blocks?.[0];
  if (first === undefined) throw new Error(`no ${name} block`);
  return first;
}

/** Reads a YAML file of the repository, resolving `<<` merge keys (docker compose uses them). */
export function loadYaml(relativePath: string): Record<string, unknown> {
  return parseYaml(readFileSync(join(repoRoot, relativePath), 'utf8'), { merge: true }) as Record<
    string,
    unknown
  >;
}

/** Reads a text file of the repository. */
export function readRepoFile(relativePath: string): string {
  return readFileSync(join(repoRoot, relativePath), 'utf8');
}

/** A `dynamic "<name>"` block's body (hcl2json keeps dynamic blocks in an object by name). */
export function dynamicOf(body: Block, name: string): Block {
  const dynamic = body.dynamic as Record<string, Block[]> | undefined;
  const first = dynamic?.[name]?.[0];
  if (first === undefined) throw new Error(`no dynamic "${name}" block`);
  return first;
}

/** A Terraform interpolation as hcl2json renders it: `tf('local.x')` is the text `${local.x}`. */
export function tf(expression: string): string {
  return `\${${expression}}`;
}
