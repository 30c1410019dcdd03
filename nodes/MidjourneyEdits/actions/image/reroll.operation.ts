import { executeFollowUp } from './followUp/operation';

/** Reroll: the same prompt again, a new 2x2 grid (on a grid; nothing to choose). */
export const execute = executeFollowUp({ operation: 'reroll', noun: 'reroll', fixedAction: 'reroll' });
