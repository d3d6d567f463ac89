/** A strategy type naming a script version: `script:<scriptId>@<version>` (a built-in's type is its registry key). */
const SCRIPT_TYPE = /^script:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@([1-9][0-9]{0,8})$/;

export function scriptType(scriptId: string, version: number): string {
  return `script:${scriptId}@${version}`;
}

export function isScriptType(type: string): boolean {
  return type.startsWith('script:');
}

/** The script and version a type names, or null when it is not a well-formed script type. */
export function parseScriptType(type: string): { scriptId: string; version: number } | null {
  const match = SCRIPT_TYPE.exec(type);
  return match ? { scriptId: match[1]!, version: Number(match[2]) } : null;
}
