/**
 * The import graph of a source tree, read with the TypeScript compiler's parser rather than a regex,
 * so every way a module can pull in another is seen: `import … from`, side-effect `import 'x'`,
 * `export … from`, `import x = require()`, dynamic `import()`, `import('x').T` types, `require()`
 * and functions made by `createRequire()`. A specifier that is not a string literal cannot be
 * checked, so it is recorded as computed (rules decide whether that is allowed).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

export type ImportForm = 'import' | 'side-effect' | 'export-from' | 'import-equals' | 'dynamic' | 'import-type' | 'require';

export interface ImportEdge {
  /** Importing file, repo-relative with forward slashes (`src/gpu/device.ts`). */
  from: string;
  form: ImportForm;
  /** The specifier as written; null when it is computed at run time. */
  specifier: string | null;
  /**
   * What it names: a repo-relative file for a relative import, `node:<name>` for a Node builtin
   * (written with or without the prefix), the package name for a library (`@noble/hashes`), or
   * null when computed.
   */
  target: string | null;
  kind: 'file' | 'builtin' | 'package' | 'computed';
  /** Erased at build (`import type`, every name `type`, `export type … from`, `import('x').T`): no run-time load. */
  typeOnly: boolean;
  line: number;
}

const SOURCE_EXT = ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs'];
const BUILTINS = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));

/** Every source file under `roots` (repo-relative folders), sorted, forward-slash paths. */
export function sourceFiles(repo: string, roots: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'node_modules' || name === 'build') continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (SOURCE_EXT.some((e) => name.endsWith(e)) && !name.endsWith('.d.ts')) out.push(toRel(repo, p));
    }
  };
  for (const r of roots) if (existsSync(join(repo, r))) walk(join(repo, r));
  return out;
}

function toRel(repo: string, abs: string): string {
  return relative(repo, abs).split(sep).join('/');
}

/** `fs`, `node:fs`, `fs/promises` → `node:fs` / `node:fs/promises`; anything else → null. */
export function builtinName(spec: string): string | null {
  const bare = spec.replace(/^node:/, '');
  if (spec.startsWith('node:') || BUILTINS.has(bare) || BUILTINS.has(bare.split('/')[0]!)) return `node:${bare}`;
  return null;
}

/** `@scope/pkg/sub.js` → `@scope/pkg`; `pkg/sub` → `pkg`. */
export function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** A relative specifier resolved the way NodeNext does for our sources (`./x.js` names `./x.ts`). */
function resolveRelative(repo: string, fromFile: string, spec: string): string {
  const base = posix.normalize(posix.join(posix.dirname(fromFile), spec));
  const stem = base.replace(/\.(m|c)?js$/, '');
  const candidates = [base, ...SOURCE_EXT.map((e) => stem + e.replace('js', 'ts')), ...SOURCE_EXT.map((e) => stem + e), ...SOURCE_EXT.map((e) => `${base}/index${e}`)];
  return candidates.find((c) => existsSync(join(repo, c)) && statSync(join(repo, c)).isFile()) ?? base;
}

function classify(repo: string, from: string, spec: string | null): Pick<ImportEdge, 'target' | 'kind'> {
  if (spec === null) return { target: null, kind: 'computed' };
  if (spec.startsWith('.') || spec.startsWith('/')) return { target: resolveRelative(repo, from, spec), kind: 'file' };
  const b = builtinName(spec);
  if (b !== null) return { target: b, kind: 'builtin' };
  return { target: packageName(spec), kind: 'package' };
}

const literal = (n: ts.Node | undefined): string | null => (n !== undefined && ts.isStringLiteralLike(n) ? n.text : null);

/** The imports of one file's text. */
export function importsOfSource(repo: string, file: string, text: string): ImportEdge[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: ImportEdge[] = [];
  const add = (form: ImportForm, spec: string | null, at: ts.Node, typeOnly = false): void => {
    out.push({ from: file, form, specifier: spec, ...classify(repo, file, spec), typeOnly, line: sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1 });
  };
  const typeOnlyImport = (d: ts.ImportDeclaration): boolean => {
    const c = d.importClause;
    if (c === undefined) return false;
    if (c.isTypeOnly) return true;
    const b = c.namedBindings;
    return c.name === undefined && b !== undefined && ts.isNamedImports(b) && b.elements.length > 0 && b.elements.every((el) => el.isTypeOnly);
  };
  const typeOnlyExport = (d: ts.ExportDeclaration): boolean =>
    d.isTypeOnly || (d.exportClause !== undefined && ts.isNamedExports(d.exportClause) && d.exportClause.elements.length > 0 && d.exportClause.elements.every((el) => el.isTypeOnly));
  // Names bound to a require function: `require` itself and results of createRequire(...).
  const requireNames = new Set(['require']);
  const isCreateRequire = (e: ts.Expression): boolean =>
    ts.isCallExpression(e) &&
    ((ts.isIdentifier(e.expression) && e.expression.text === 'createRequire') ||
      (ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'createRequire'));
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node.importClause === undefined ? 'side-effect' : 'import', literal(node.moduleSpecifier), node, typeOnlyImport(node));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined) {
      add('export-from', literal(node.moduleSpecifier), node, typeOnlyExport(node));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add('import-equals', literal(node.moduleReference.expression), node, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      add('import-type', ts.isLiteralTypeNode(arg) ? literal(arg.literal) : null, node, true);
    } else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined && isCreateRequire(node.initializer)) {
      requireNames.add(node.name.text);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add('dynamic', literal(node.arguments[0]), node);
      else if (isCreateRequire(callee)) add('require', literal(node.arguments[0]), node);
      else if (ts.isIdentifier(callee) && requireNames.has(callee.text)) add('require', literal(node.arguments[0]), node);
      // require.resolve() only finds a path; it loads nothing, so it is not an import.
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

export interface ImportGraph {
  files: string[];
  edges: ImportEdge[];
}

/** The graph of every source file under `roots` of the tree at `repo`. */
export function importGraph(repo: string, roots: string[]): ImportGraph {
  const files = sourceFiles(repo, roots);
  return { files, edges: files.flatMap((f) => importsOfSource(repo, f, readFileSync(join(repo, f), 'utf8'))) };
}

/**
 * The cycles of a directed graph: its strongly connected components with more than one node (or a
 * node that reaches itself), each as a sorted list, found with Tarjan's algorithm.
 */
export function cycles(nodes: string[], next: (n: string) => Iterable<string>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || [...next(v)].includes(v)) out.push(comp.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) strong(n);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/**
 * The unit of layering a file belongs to: `src/gpu/x.ts` and `src/cli/cmds/y.ts` → `src/gpu/`,
 * `src/cli/`; a file at the top of src/ (`src/spec.ts`) is its own unit; `bench/x.ts` → `bench/`.
 */
export function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts.length > 2) return `${parts[0]}/${parts[1]}/`;
  return parts[0] === 'src' ? file : `${parts[0]}/`;
}
