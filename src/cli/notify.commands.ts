import type { Command } from './commands.js';

/** `shouyin notify …` (push-network issue). */
export const NOTIFY_COMMANDS: Command[] = [];
