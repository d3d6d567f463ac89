/**
 * Lists exports that no other module imports (`npx tsx server/lint/dead-exports.ts`), in the manner of
 * ts-prune: `unused` is referenced nowhere (delete it), `local` only inside its own file (drop `export`).
 * Entry points are not reported: app/ route files (Next reads their exports by name), config files, CLI
 * and worker mains, e2e specs and bench. A report, not a gate: read each line before deleting.
 */
import path from 'node:path';
import ts from 'typescript';

const root = process.cwd();
const configPath = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json')!;
const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root);
const program = ts.createProgram(config.fileNames, config.options);
const checker = program.getTypeChecker();

const ours = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/'));
const rel = (f: string) => path.relative(root, f);
const isEntry = (f: string) =>
  /^app\/.*\/(page|layout|route|loading|error|not-found|template|default)\.tsx?$/.test(f) ||
  /^app\/(layout|page|not-found|error|global-error)\.tsx?$/.test(f) ||
  /\.(test|spec)\.tsx?$/.test(f) ||
  /^(e2e|bench)\//.test(f) ||
  /^[^/]+\.(ts|js|mjs)$/.test(f) ||
  /^server\/cli\//.test(f) ||
  /^server\/worker\/main\.ts$/.test(f);

const used = new Set<ts.Symbol>();
const resolve = (s: ts.Symbol | undefined) => (s && s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);

for (const file of ours) {
  const visit = (node: ts.Node): void => {
    if (ts.isImportSpecifier(node) || ts.isExportSpecifier(node) || ts.isImportClause(node)) {
      const s = resolve(checker.getSymbolAtLocation(node.name ?? node));
      if (s) used.add(s);
    } else if (ts.isNamespaceImport(node) || (ts.isExportDeclaration(node) && !node.exportClause && node.moduleSpecifier)) {
      const spec = ts.isNamespaceImport(node) ? node.parent.parent.moduleSpecifier : node.moduleSpecifier!;
      const mod = checker.getSymbolAtLocation(spec);
      if (mod) for (const e of checker.getExportsOfModule(mod)) used.add(resolve(e)!);
    } else if (ts.isImportTypeNode(node) && node.qualifier) {
      const s = resolve(checker.getSymbolAtLocation(ts.isIdentifier(node.qualifier) ? node.qualifier : node.qualifier.right));
      if (s) used.add(s);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      // `await import('./x')`: every export of x counts as used (its names are read off the namespace).
      const mod = node.arguments[0] && checker.getSymbolAtLocation(node.arguments[0]);
      if (mod) for (const e of checker.getExportsOfModule(mod)) used.add(resolve(e)!);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

const lines: string[] = [];
for (const file of ours) {
  const name = rel(file.fileName);
  if (isEntry(name)) continue;
  const mod = checker.getSymbolAtLocation(file);
  if (!mod) continue;
  for (const exported of checker.getExportsOfModule(mod)) {
    const target = resolve(exported)!;
    if (used.has(target)) continue;
    const declaration = target.declarations?.[0];
    if (!declaration || declaration.getSourceFile() !== file) continue; // a re-export: judged where declared
    let localUse = false;
    const walk = (node: ts.Node): void => {
      if (localUse) return;
      if (ts.isIdentifier(node) && node.text === exported.name && node !== (declaration as ts.NamedDeclaration).name) {
        if (resolve(checker.getSymbolAtLocation(node)) === target) localUse = true;
      }
      ts.forEachChild(node, walk);
    };
    walk(file);
    const line = file.getLineAndCharacterOfPosition(declaration.getStart()).line + 1;
    lines.push(`${name}:${line} ${exported.name}${localUse ? ' (local)' : ' (unused)'}`);
  }
}
console.log(lines.sort().join('\n'));
console.error(`${lines.length} exports imported by no other module`);
