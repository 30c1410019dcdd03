import { sleep } from 'n8n-workflow';

export class ExecutionCancelledSignal extends Error {
	constructor() {
		super('The execution was cancelled');
		this.name = 'ExecutionCancelledSignal';
	}
}

/**
 * Waits `ms`, but returns within a fraction of a second when the user stops the execution.
 * n8n's `sleep` cannot be interrupted, so we sleep in short slices and look at the signal between
 * them (community nodes may not use the setTimeout global).
 */
export async function pauseUnlessCancelled(ms: number, signal?: AbortSignal): Promise<void> {
	const SLICE_MS = 250;
	const until = Date.now() + ms;
	throwIfCancelled(signal);
	for (let left = ms; left > 0; left = until - Date.now()) {
		await sleep(Math.min(SLICE_MS, left));
		throwIfCancelled(signal);
	}
}

export function throwIfCancelled(signal?: AbortSignal): void {
	if (signal?.aborted) throw new ExecutionCancelledSignal();
}

/** Exponential backoff with jitter: 1 s, 2 s, 4 s ... capped. */
export function backoffMs(attempt: number, baseMs = 1000, capMs = 30_000): number {
	const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
	return Math.round(exp * (0.8 + Math.random() * 0.4));
}

/**
 * One rate-limit gate shared by every request of a batch: when the API answers 429, the whole
 * batch waits (honouring Retry-After) instead of each item hammering the API on its own.
 */
export class RateLimitGate {
	private pausedUntil = 0;

	/** Epoch ms after which no pause lasts (the batch's latest item deadline), when known. */
	private notAfter = Infinity;

	/** How many times the API told us to slow down (for logs and the benchmark). */
	rateLimitedCount = 0;

	constructor(private readonly signal?: AbortSignal) {}

	/** No pause of this gate reaches past `deadline` (the user's timeout ends the wait, not the API). */
	endPausesBy(deadline: number): void {
		this.notAfter = deadline;
	}

	async waitForTurn(): Promise<void> {
		const until = Math.min(this.pausedUntil, this.notAfter);
		const wait = until - Date.now();
		if (wait > 0) await pauseUnlessCancelled(wait, this.signal);
	}

	slowDown(waitMs: number): void {
		this.rateLimitedCount++;
		const bounded = Number.isFinite(waitMs) ? Math.min(Math.max(0, waitMs), MAX_GATE_PAUSE_MS) : MAX_GATE_PAUSE_MS;
		this.pausedUntil = Math.max(this.pausedUntil, Date.now() + bounded);
	}
}

/** The longest one 429 can pause a batch; a longer Retry-After is not honoured inside one run. */
export const MAX_GATE_PAUSE_MS = 120_000;

/** Runs `task` for each element with at most `limit` running at once; keeps result order. */
export async function mapWithConcurrency<T, R>(
	elements: readonly T[],
	limit: number,
	task: (element: T, index: number) => Promise<R>,
	shouldStop: () => boolean = () => false,
): Promise<R[]> {
	const results = new Array<R>(elements.length);
	let next = 0;
	const worker = async () => {
		while (next < elements.length && !shouldStop()) {
			const index = next++;
			results[index] = await task(elements[index], index);
		}
	};
	const workers = Array.from({ length: Math.max(1, Math.min(limit, elements.length)) }, worker);
	await Promise.all(workers);
	return results;
}
