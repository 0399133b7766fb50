/** Prints a result as JSON (`--json`) or as aligned `key: value` lines for a person. */
export function print(result: unknown, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  if (Array.isArray(result)) {
    for (const row of result) {
      print(row, false);
      console.log('');
    }
    return;
  }
  if (result !== null && typeof result === 'object') {
    const entries = Object.entries(result as Record<string, unknown>);
    const width = Math.max(...entries.map(([k]) => k.length));
    for (const [k, v] of entries) {
      console.log(
        `${k.padEnd(width)}  ${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
      );
    }
    return;
  }
  console.log(String(result));
}
