import { userInfo } from 'node:os';

/**
 * The actor of a command-line change: `cli:<os user>`. Called once per command. Containers
 * sometimes run under a uid without a passwd entry; the uid then stands in for the name.
 */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid${process.getuid?.() ?? 'unknown'}`;
  }
}
