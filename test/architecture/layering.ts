/**
 * The layering of zg-miner as data (design.md "Dependency direction"), and the check that holds an
 * import graph against it. A new folder joins with one line: a pure one (`src/ec/`) goes in `pure`,
 * one that owns a library or a Node module (a sync/RPC folder owning HTTP) goes in `owners`.
 */
import { cycles, folderOf, importGraph, type ImportEdge, type ImportGraph } from './importGraph.js';

export interface Layering {
  /** Folders scanned, relative to the repository root. */
  roots: string[];
  /**
   * Who may import each third-party library, and each Node module that is confined to a few
   * folders (`node:http`): library → units. A library missing here is imported nowhere.
   */
  owners: Record<string, string[]>;
  /** Units that do no I/O: they import no Node module, and of the project only pure units. */
  pure: string[];
  /**
   * Units that reach the rest of the project only through their ports file: unit → ports file.
   * Its other files import the unit itself and pure units; the ports file imports types only.
   */
  ports: Record<string, string>;
  /** The composition root: it wires the layers, so nothing outside it imports it. */
  compositionRoot: string;
  /** Files allowed to load a module whose name is computed at run time → why. */
  computedImports: Record<string, string>;
}

export const LAYERING: Layering = {
  roots: ['src', 'bench'],
  owners: {
    webgpu: ['src/gpu/'],
    ethers: ['src/chain/'],
    'prom-client': ['src/metrics/'],
    yargs: ['src/cli/'],
    'smol-toml': ['src/config/'],
    '@noble/hashes': ['src/core/', 'src/bytes.ts'],
    'node:http': ['src/metrics/', 'src/sync/'],
    'node:https': ['src/sync/'],
  },
  pure: ['src/core/', 'src/verify/', 'src/ec/', 'src/watchdog/', 'src/spec.ts', 'src/types.ts', 'src/bytes.ts', 'src/errors.ts'],
  ports: { 'src/miner/': 'src/miner/ports.ts' },
  compositionRoot: 'src/cli/',
  computedImports: { 'src/nativeAddon.ts': 'loads the optional native addons (zg_aio, zg_stdio) from the path it finds at run time' },
};

export const RULE_NAMES = ['owner', 'pure', 'ports', 'composition-root', 'computed-import', 'folder-cycle', 'file-cycle'] as const;
export type RuleName = (typeof RULE_NAMES)[number];

export interface Violation {
  rule: RuleName;
  /** One line a reader can act on: where, what, and which rule. */
  message: string;
}

const inUnit = (file: string, unit: string): boolean => (unit.endsWith('/') ? file.startsWith(unit) : file === unit);
const inAny = (file: string, units: string[]): boolean => units.some((u) => inUnit(file, u));
const where = (e: ImportEdge): string => `${e.from}:${e.line}`;
const what = (e: ImportEdge): string => (e.specifier === null ? `a computed ${e.form}` : `'${e.specifier}' (${e.form})`);

/** Every way `graph` breaks `rules`, sorted. */
export function checkLayering(graph: ImportGraph, rules: Layering): Violation[] {
  const out: Violation[] = [];
  const add = (rule: RuleName, message: string): void => void out.push({ rule, message });
  for (const e of graph.edges) {
    const target = e.target;
    if (e.kind === 'computed') {
      if (rules.computedImports[e.from] === undefined) add('computed-import', `${where(e)} imports ${what(e)}: name the module with a string literal so the layering can be checked`);
      continue;
    }
    if (e.kind === 'package' || e.kind === 'builtin') {
      const owners = rules.owners[target!];
      if (owners !== undefined && !inAny(e.from, owners)) add('owner', `${where(e)} imports ${what(e)}, which only ${owners.join(', ')} may import`);
      else if (owners === undefined && e.kind === 'package') add('owner', `${where(e)} imports ${what(e)}, a library no folder owns: give it one owner in LAYERING.owners`);
      if (e.kind === 'builtin' && inAny(e.from, rules.pure)) add('pure', `${where(e)} imports ${what(e)}: ${folderOf(e.from)} is pure (no I/O)`);
      continue;
    }
    // A project file.
    if (inAny(e.from, rules.pure) && !inAny(target!, rules.pure)) add('pure', `${where(e)} imports ${target}: ${folderOf(e.from)} is pure and may import only pure units (${rules.pure.join(', ')})`);
    if (inUnit(target!, rules.compositionRoot) && !inUnit(e.from, rules.compositionRoot))
      add('composition-root', `${where(e)} imports ${target}: nothing imports the composition root ${rules.compositionRoot}`);
    for (const [unit, portsFile] of Object.entries(rules.ports)) {
      if (!inUnit(e.from, unit) || inUnit(target!, unit) || inAny(target!, rules.pure)) continue;
      if (e.from !== portsFile) add('ports', `${where(e)} imports ${target}: ${unit} reaches other layers only through ${portsFile}`);
      else if (!e.typeOnly) add('ports', `${where(e)} imports values from ${target}: ${portsFile} declares ports, so it imports types only`);
    }
  }
  const fileNext = new Map<string, Set<string>>();
  const folderNext = new Map<string, Set<string>>();
  const link = (m: Map<string, Set<string>>, a: string, b: string): void => void (m.get(a) ?? m.set(a, new Set()).get(a)!).add(b);
  for (const e of graph.edges) {
    if (e.kind !== 'file') continue;
    link(fileNext, e.from, e.target!);
    if (folderOf(e.from) !== folderOf(e.target!)) link(folderNext, folderOf(e.from), folderOf(e.target!));
  }
  for (const c of cycles(graph.files, (n) => fileNext.get(n) ?? [])) add('file-cycle', `files import each other in a loop: ${c.join(' ⇄ ')}`);
  const folders = [...new Set(graph.files.map(folderOf))];
  for (const c of cycles(folders, (n) => folderNext.get(n) ?? [])) {
    const ties = graph.edges.filter((e) => e.kind === 'file' && c.includes(folderOf(e.from)) && c.includes(folderOf(e.target!)) && folderOf(e.from) !== folderOf(e.target!));
    const shown = ties.slice(0, 4).map((e) => `${where(e)} → ${e.target}`).join('; ');
    add('folder-cycle', `folders import each other in a loop: ${c.join(' ⇄ ')} (${shown}${ties.length > 4 ? `; ${ties.length - 4} more` : ''})`);
  }
  return out.sort((a, b) => a.rule.localeCompare(b.rule) || a.message.localeCompare(b.message));
}

/** The tree at `repo` against the layering. */
export function checkTree(repo: string, rules: Layering = LAYERING): Violation[] {
  return checkLayering(importGraph(repo, rules.roots), rules);
}
