/**
 * A script's declared warm-up: `warmup: 'max(fastPeriod, slowPeriod)'` in its definition, an arithmetic expression
 * over its parameters. The host reads it without running the script (the web app never does): the range checks of
 * walk-forwards and bias checks need it at request time, as for a built-in (whose instance states it). In the
 * sandbox the same expression is evaluated with the run's params and must equal the instance's `warmup`, so the
 * declaration cannot drift from what the strategy does.
 *
 * The grammar (no names but the parameters, no calls but these; nothing of JavaScript is evaluated):
 *   expr    := compare ('?' expr ':' expr)?
 *   compare := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?
 *   sum     := product (('+' | '-') product)*
 *   product := unary (('*' | '/') unary)*
 *   unary   := '-' unary | primary
 *   primary := number | 'string' | true | false | parameter | fn '(' expr (',' expr)* ')' | '(' expr ')'
 *   fn      := max | min | ceil | floor | round | abs
 * The result must be a whole number of bars ≥ 0 (fractions are an error: use ceil or floor).
 */

export type WarmupValue = number | string | boolean;

type Node =
  | { kind: 'literal'; value: WarmupValue }
  | { kind: 'param'; name: string }
  | { kind: 'call'; fn: (typeof FUNCTIONS)[number]; args: Node[] }
  | { kind: 'binary'; op: string; left: Node; right: Node }
  | { kind: 'negate'; operand: Node }
  | { kind: 'conditional'; test: Node; then: Node; otherwise: Node };

const FUNCTIONS = ['max', 'min', 'ceil', 'floor', 'round', 'abs'] as const;
const MAX_LENGTH = 200;

export class WarmupExpressionError extends Error {
  override readonly name = 'WarmupExpressionError';
}

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|'([^']*)'|"([^"]*)"|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|[-+*/()<>?:,]))/y;

type Token = { type: 'number'; value: number } | { type: 'string'; value: string } | { type: 'name'; value: string } | { type: 'op'; value: string };

function tokenize(text: string): Token[] {
  if (text.length > MAX_LENGTH) throw new WarmupExpressionError(`warmup: at most ${MAX_LENGTH} characters`);
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new WarmupExpressionError(`warmup: unexpected "${text.slice(at).trim().slice(0, 20)}"`);
    if (m[1] !== undefined) tokens.push({ type: 'number', value: Number(m[1]) });
    else if (m[2] !== undefined || m[3] !== undefined) tokens.push({ type: 'string', value: m[2] ?? m[3]! });
    else if (m[4] !== undefined) tokens.push({ type: 'name', value: m[4] });
    else tokens.push({ type: 'op', value: m[5]! });
  }
  return tokens;
}

/** Parses `text`; every parameter it names must be one of `parameters`. Throws WarmupExpressionError. */
export function parseWarmup(text: string, parameters: readonly string[]): Node {
  const tokens = tokenize(text);
  let k = 0;
  const peek = () => tokens[k];
  const isOp = (value: string) => peek()?.type === 'op' && peek()!.value === value;
  const expect = (value: string) => {
    if (!isOp(value)) throw new WarmupExpressionError(`warmup: expected "${value}"`);
    k++;
  };
  const expr = (depth: number): Node => {
    if (depth > 30) throw new WarmupExpressionError('warmup: nested too deeply');
    const test = compare(depth);
    if (!isOp('?')) return test;
    k++;
    const then = expr(depth + 1);
    expect(':');
    return { kind: 'conditional', test, then, otherwise: expr(depth + 1) };
  };
  const compare = (depth: number): Node => {
    const left = sum(depth);
    const op = peek();
    if (op?.type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(op.value)) {
      k++;
      return { kind: 'binary', op: op.value, left, right: sum(depth) };
    }
    return left;
  };
  const sum = (depth: number): Node => {
    let left = product(depth);
    while (isOp('+') || isOp('-')) left = { kind: 'binary', op: tokens[k++]!.value as string, left, right: product(depth) };
    return left;
  };
  const product = (depth: number): Node => {
    let left = unary(depth);
    while (isOp('*') || isOp('/')) left = { kind: 'binary', op: tokens[k++]!.value as string, left, right: unary(depth) };
    return left;
  };
  const unary = (depth: number): Node => {
    if (isOp('-')) {
      k++;
      return { kind: 'negate', operand: unary(depth + 1) };
    }
    return primary(depth);
  };
  const primary = (depth: number): Node => {
    const token = tokens[k++];
    if (!token) throw new WarmupExpressionError('warmup: the expression ends too early');
    if (token.type === 'number' || token.type === 'string') return { kind: 'literal', value: token.value };
    if (token.type === 'op') {
      if (token.value !== '(') throw new WarmupExpressionError(`warmup: unexpected "${token.value}"`);
      const inner = expr(depth + 1);
      expect(')');
      return inner;
    }
    if (token.value === 'true' || token.value === 'false') return { kind: 'literal', value: token.value === 'true' };
    if (isOp('(')) {
      const fn = FUNCTIONS.find((name) => name === token.value);
      if (!fn) throw new WarmupExpressionError(`warmup: ${token.value}() is not one of ${FUNCTIONS.join(', ')}`);
      k++;
      const args = [expr(depth + 1)];
      while (isOp(',')) {
        k++;
        args.push(expr(depth + 1));
      }
      expect(')');
      if (fn !== 'max' && fn !== 'min' && args.length !== 1) throw new WarmupExpressionError(`warmup: ${fn}() takes one argument`);
      return { kind: 'call', fn, args };
    }
    if (!parameters.includes(token.value)) throw new WarmupExpressionError(`warmup: ${token.value} is not a parameter of this strategy`);
    return { kind: 'param', name: token.value };
  };
  if (tokens.length === 0) throw new WarmupExpressionError('warmup: the expression is empty');
  const node = expr(0);
  if (k < tokens.length) throw new WarmupExpressionError(`warmup: unexpected "${String(tokens[k]!.value)}"`);
  return node;
}

function evaluate(node: Node, params: Readonly<Record<string, unknown>>): WarmupValue {
  const num = (n: Node): number => {
    const value = evaluate(n, params);
    if (typeof value !== 'number') throw new WarmupExpressionError(`warmup: expected a number, got ${JSON.stringify(value)}`);
    return value;
  };
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'param': {
      const value = params[node.name];
      if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean')
        throw new WarmupExpressionError(`warmup: parameter ${node.name} has no value`);
      return value;
    }
    case 'negate':
      return -num(node.operand);
    case 'conditional':
      return evaluate(node.test, params) === true ? evaluate(node.then, params) : evaluate(node.otherwise, params);
    case 'call': {
      const args = node.args.map(num);
      return node.fn === 'max' ? Math.max(...args) : node.fn === 'min' ? Math.min(...args) : Math[node.fn](args[0]!);
    }
    case 'binary': {
      if (node.op === '==' || node.op === '!=') {
        const equal = evaluate(node.left, params) === evaluate(node.right, params);
        return node.op === '==' ? equal : !equal;
      }
      const [a, b] = [num(node.left), num(node.right)];
      switch (node.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return a / b;
        case '<':
          return a < b;
        case '<=':
          return a <= b;
        case '>':
          return a > b;
        default:
          return a >= b;
      }
    }
  }
}

/** The declared warm-up with `params` (validated ones): a whole number of bars ≥ 0, or WarmupExpressionError. */
export function declaredWarmup(text: string, params: Readonly<Record<string, unknown>>): number {
  const value = evaluate(parseWarmup(text, Object.keys(params)), params);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new WarmupExpressionError(`warmup: "${text}" gives ${JSON.stringify(value)} with these parameters, not a whole number of bars ≥ 0`);
  return value;
}
