import type { Command } from './commands.js';

/** `shouyin account list|set|…`, `payment …`, `order mark-paid` (payment-detection issue). */
export const DETECTION_COMMANDS: Command[] = [];
