/**
 * The save-time check of a script, without running it (the web app never executes user code): the module must
 * `export default defineStrategy({...})` (or an object), and its `name`, `description`, `parameters`, `plots` and `warmup`
 * must be literals — written in place or as a `const` of the same file — so that the form, the API and the chart
 * know them from the source alone. The values are then checked like a built-in's (description.ts). Syntax only:
 * TypeScript's parser, no type checking (the editor does that with the SDK's declarations).
 */
import ts from 'typescript';
import { checkScriptDescription, type ScriptMeta } from '@/server/core/scripts/description';
import { SDK_MODULE } from '@/server/core/scripts/runtime-contract';
import type { ScriptDiagnostic } from './compile';

class LiteralError extends Error {
  constructor(
    readonly node: ts.Node,
    message: string,
  ) {
    super(message);
  }
}

export type StaticCheckResult = { ok: true; meta: ScriptMeta } | { ok: false; diagnostics: ScriptDiagnostic[] };

export function checkScriptSource(source: string): StaticCheckResult {
  const file = ts.createSourceFile('strategy.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const at = (node: ts.Node, message: string): ScriptDiagnostic => {
    const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file));
    return { line: line + 1, column: character + 1, message };
  };
  const diagnostics: ScriptDiagnostic[] = [];

  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier) && statement.moduleSpecifier.text !== SDK_MODULE)
      diagnostics.push(at(statement.moduleSpecifier, `a script can import only "${SDK_MODULE}"`));
  }
  const constants = new Map<string, ts.Expression>();
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement) || !(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.initializer) constants.set(declaration.name.text, declaration.initializer);
    }
  }
  const exported = file.statements.find((s): s is ts.ExportAssignment => ts.isExportAssignment(s) && !s.isExportEquals);
  if (!exported) return { ok: false, diagnostics: [...diagnostics, { line: 1, column: 1, message: 'the script must `export default defineStrategy({...})`' }] };

  let definition: ts.Expression = unwrap(exported.expression);
  if (ts.isIdentifier(definition) && constants.has(definition.text)) definition = unwrap(constants.get(definition.text)!);
  if (ts.isCallExpression(definition) && ts.isIdentifier(definition.expression) && definition.expression.text === 'defineStrategy' && definition.arguments[0])
    definition = unwrap(definition.arguments[0]);
  if (!ts.isObjectLiteralExpression(definition))
    return {
      ok: false,
      diagnostics: [...diagnostics, at(exported, 'the default export must be defineStrategy({ name, description, parameters, create, … }) written in place')],
    };

  const fields = new Map<string, ts.Node>();
  const declared: Record<string, unknown> = {};
  for (const property of definition.properties) {
    const name = property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text : null;
    if (name === null || !['name', 'description', 'parameters', 'plots', 'warmup'].includes(name)) continue;
    fields.set(name, property);
    try {
      const value = ts.isShorthandPropertyAssignment(property)
        ? literal(property.name, constants)
        : ts.isPropertyAssignment(property)
          ? literal(property.initializer, constants)
          : (() => {
              throw new LiteralError(property, `${name} must be a value, not a method`);
            })();
      declared[name] = value;
    } catch (error) {
      if (!(error instanceof LiteralError)) throw error;
      diagnostics.push(at(error.node, `${name}: ${error.message}`));
    }
  }
  if (!definition.properties.some((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'create'))
    diagnostics.push(at(definition, 'the definition needs create(params), returning the strategy instance'));
  if (diagnostics.length > 0) return { ok: false, diagnostics };

  const checked = checkScriptDescription(declared);
  if (checked.ok) return checked;
  return {
    ok: false,
    diagnostics: checked.issues.map((issue) => {
      const field = issue.split(/[.:]/)[0]!;
      return at(fields.get(field) ?? definition, issue);
    }),
  };
}

function unwrap(expression: ts.Expression): ts.Expression {
  let e = expression;
  while (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}

const NOT_LITERAL =
  'must be written as a literal (strings, numbers, booleans, null, arrays, objects, or a const of this file holding one): the form is built from it without running the script';

/** The value of a literal expression; identifiers resolve through the file's top-level consts. */
function literal(node: ts.Expression, constants: ReadonlyMap<string, ts.Expression>, depth = 0): unknown {
  if (depth > 20) throw new LiteralError(node, 'is nested too deeply');
  const e = unwrap(node);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isNumericLiteral(e)) return Number(e.text.replaceAll('_', ''));
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(unwrap(e.operand)))
    return -Number((unwrap(e.operand) as ts.NumericLiteral).text.replaceAll('_', ''));
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (e.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isArrayLiteralExpression(e)) return e.elements.map((element) => literal(element, constants, depth + 1));
  if (ts.isObjectLiteralExpression(e)) {
    const out: Record<string, unknown> = {};
    for (const property of e.properties) {
      if (ts.isPropertyAssignment(property) && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name) || ts.isNumericLiteral(property.name))) {
        const key = property.name.text;
        if (key === '__proto__') throw new LiteralError(property, '__proto__ is not allowed as a key');
        Object.defineProperty(out, key, { value: literal(property.initializer, constants, depth + 1), enumerable: true, writable: true, configurable: true });
      } else if (ts.isShorthandPropertyAssignment(property)) {
        out[property.name.text] = literal(property.name, constants, depth + 1);
      } else throw new LiteralError(property, NOT_LITERAL);
    }
    return out;
  }
  if (ts.isIdentifier(e)) {
    if (e.text === 'undefined') return undefined;
    const value = constants.get(e.text);
    if (value) return literal(value, constants, depth + 1);
  }
  throw new LiteralError(e, NOT_LITERAL);
}
