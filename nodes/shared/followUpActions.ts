/**
 * The follow-up actions on a finished result (contract: "Follow-up actions on a result", POST
 * /midjourney/imagine with `action` + `image_id`), in the words a user reads. One table for the
 * node's choices, the check against a result's `actions` list, and the outputs that say which
 * action produced a result (action node and trigger).
 */

/** What a follow-up applies to: the 2x2 grid (edit, variation, reroll...) or one upscaled image. */
export type ImageKind = 'grid' | 'upscaled';

export interface FollowUpAction {
	/** The node's operation that offers it. */
	operation: 'upscale' | 'vary' | 'reroll' | 'zoomOut' | 'pan';
	/** In a sentence or a list: "Upscale 2x (subtle)". */
	words: string;
	/** Which image it needs (contract: the grid's actions vs the upscaled image's). */
	needs: ImageKind;
	/** Quarter 1-4 of a grid, for lists that say "Upscale quarter 1-4". */
	quarter?: number;
}

const quarterActions = (prefix: string, operation: FollowUpAction['operation'], words: string) =>
	Object.fromEntries(
		[1, 2, 3, 4].map((quarter) => [`${prefix}${quarter}`, { operation, words: `${words} ${quarter}`, needs: 'grid', quarter }]),
	) as Record<string, FollowUpAction>;

export const FOLLOW_UP_ACTIONS: Record<string, FollowUpAction> = {
	...quarterActions('upscale', 'upscale', 'Upscale quarter'),
	upscale_2x: { operation: 'upscale', words: 'Upscale 2x (subtle)', needs: 'upscaled' },
	upscale_4x: { operation: 'upscale', words: 'Upscale 4x (creative)', needs: 'upscaled' },
	...quarterActions('variation', 'vary', 'Vary quarter'),
	variation_subtle: { operation: 'vary', words: 'Vary (subtle)', needs: 'upscaled' },
	variation_strong: { operation: 'vary', words: 'Vary (strong)', needs: 'upscaled' },
	variation_region: { operation: 'vary', words: 'Vary (region)', needs: 'upscaled' },
	reroll: { operation: 'reroll', words: 'Reroll', needs: 'grid' },
	zoom_out_2x: { operation: 'zoomOut', words: 'Zoom out 2x', needs: 'upscaled' },
	zoom_out_1_5x: { operation: 'zoomOut', words: 'Zoom out 1.5x', needs: 'upscaled' },
	pan_left: { operation: 'pan', words: 'Pan left', needs: 'upscaled' },
	pan_right: { operation: 'pan', words: 'Pan right', needs: 'upscaled' },
	pan_up: { operation: 'pan', words: 'Pan up', needs: 'upscaled' },
	pan_down: { operation: 'pan', words: 'Pan down', needs: 'upscaled' },
};

export function isFollowUpAction(value: unknown): value is string {
	return typeof value === 'string' && Object.prototype.hasOwnProperty.call(FOLLOW_UP_ACTIONS, value);
}

/**
 * The follow-up action a task record's request names, if any: an edit's request says `generate`
 * and gets none, so only follow-ups' outputs carry `action`.
 */
export function followUpActionOfRecord(record: unknown): string | undefined {
	const request = typeof record === 'object' && record !== null ? (record as { request?: unknown }).request : undefined;
	const action = typeof request === 'object' && request !== null ? (request as { action?: unknown }).action : undefined;
	return isFollowUpAction(action) ? action : undefined;
}

/**
 * A result's `actions` in user words, quarters grouped: "Upscale quarter 1-4, Vary quarter 1-4,
 * Reroll". Values we do not know are listed as the API wrote them.
 */
export function describeActions(actions: string[]): string {
	const parts: string[] = [];
	const quarters = new Map<string, number[]>();
	for (const action of actions) {
		const known = isFollowUpAction(action) ? FOLLOW_UP_ACTIONS[action] : undefined;
		if (known?.quarter !== undefined) {
			const group = known.words.replace(/ \d$/, '');
			if (!quarters.has(group)) {
				quarters.set(group, []);
				parts.push(group);
			}
			quarters.get(group)!.push(known.quarter);
		} else {
			parts.push(known ? known.words : `'${action.slice(0, 40)}'`);
		}
	}
	const text = parts.map((part) => {
		const numbers = quarters.get(part);
		if (!numbers) return part;
		const sorted = [...new Set(numbers)].sort();
		const contiguous = sorted.length > 2 && sorted[sorted.length - 1] - sorted[0] === sorted.length - 1;
		return `${part} ${contiguous ? `${sorted[0]}-${sorted[sorted.length - 1]}` : sorted.join(', ')}`;
	});
	return text.length > 0 ? text.join(', ') : 'nothing (its actions list is empty)';
}
