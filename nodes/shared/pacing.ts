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
 * Attempts a submission gets while the API answers 429 (which means it did not take it, so re-sending
 * cannot bill twice). High, because under a rate limit the batch as a whole waits at the gate and
 * an item that loses the race for the API's few slots several times must not be lost.
 */
export const RATE_LIMITED_SUBMIT_ATTEMPTS = 30;

/**
 * One rate-limit gate shared by every request of a batch: when the API answers 429, the whole
 * batch waits (honouring Retry-After) instead of each item hammering the API on its own.
 */
export class RateLimitGate {
	private pausedUntil = 0;
	private readonly rateLimitListeners: Array<() => void> = [];

	/** Epoch ms after which no pause lasts (the batch's latest item deadline), when known. */
	private notAfter = Infinity;

	/** How many times the API told us to slow down (for logs and the benchmark). */
	rateLimitedCount = 0;

	/** Pauses of the batch's own back-off since the API last accepted a submission. */
	private pausesWithoutProgress = 0;

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

	/**
	 * A 429: the whole batch waits `waitMs` (the API's Retry-After). With `ownBackoff` (the 429 said
	 * no Retry-After, as the vendor documents none) the batch backs off on its own schedule instead of
	 * the refused item's: 1 s, 2 s, 4 s ... for each pause in a row without an accepted submission in
	 * between, back to 1 s after one. An item that lost the race for the API's few places five times
	 * must not stop the whole batch for 16 s while the others get through.
	 */
	slowDown(waitMs: number, ownBackoff = false): void {
		this.rateLimitedCount++;
		// The 429s of requests that were already on their way when the first one came tell nothing new:
		// only the first 429 of a pause is reported to the listeners.
		const firstOfPause = Date.now() >= this.pausedUntil;
		if (ownBackoff) {
			if (firstOfPause) this.pausesWithoutProgress++;
			waitMs = backoffMs(this.pausesWithoutProgress, 1000, 60_000);
		}
		const bounded = Number.isFinite(waitMs) ? Math.min(Math.max(0, waitMs), MAX_GATE_PAUSE_MS) : MAX_GATE_PAUSE_MS;
		this.pausedUntil = Math.max(this.pausedUntil, Date.now() + bounded);
		if (firstOfPause) for (const listener of this.rateLimitListeners) listener();
	}

	/** The API accepted a submission: the batch's own back-off starts again from its first step. */
	madeProgress(): void {
		this.pausesWithoutProgress = 0;
	}

	/** Calls `listener` on the first 429 of each pause (an AdaptiveLimit halves itself there). */
	onRateLimited(listener: () => void): void {
		this.rateLimitListeners.push(listener);
	}
}

/**
 * Default Options → Concurrency: submissions sent at once at the start of a batch. n8n's HTTP Request
 * node sends every item at once, and a user who sets nothing should not wait longer than with that;
 * 100 sends a batch of up to 100 the same way, one API round trip, and bounds the burst an account
 * with a low (undocumented) rate limit sees first: a 429 costs a pause, never a charge.
 */
export const DEFAULT_START_CONCURRENCY = 100;

/** Default Options → Max Concurrency: the most submissions open at once however well the API keeps up. */
export const DEFAULT_MAX_CONCURRENCY = 200;

/**
 * Until the first 429, each accepted submission lets this many more go out: the window grows fourfold
 * every round trip (a Concurrency of 5 reaches 80 in two round trips, not four), so a low Concurrency
 * costs few round trips; a 429 costs only a pause, so overshooting the account's limit is cheap.
 */
export const PROBING_GROWTH_PER_ACCEPTANCE = 3;

/**
 * How many submissions may be open at once, found out from the API's answers, because the real
 * account's rate limit is not documented: start at the user's Concurrency, add
 * PROBING_GROWTH_PER_ACCEPTANCE per accepted submission (the window quadruples every round trip)
 * until the first 429, halve on each 429 (once per pause of the gate), and after that add one per
 * window of accepted submissions (additive increase, multiplicative decrease, like TCP). Never above
 * `max`, never below 1.
 */
export class AdaptiveLimit {
	private window: number;
	private probing = true;

	/** The largest limit reached, and how many times it was halved (for logs and the benchmark). */
	peak: number;
	halvings = 0;

	constructor(
		start: number,
		readonly max: number,
		private readonly gate?: RateLimitGate,
	) {
		this.window = Math.max(1, Math.min(max, start));
		this.peak = this.current;
		gate?.onRateLimited(() => this.rateLimited());
	}

	get current(): number {
		return Math.floor(this.window);
	}

	accepted(): void {
		this.gate?.madeProgress();
		this.window = Math.min(this.max, this.window + (this.probing ? PROBING_GROWTH_PER_ACCEPTANCE : 1 / this.window));
		this.peak = Math.max(this.peak, this.current);
	}

	rateLimited(): void {
		this.probing = false;
		this.halvings++;
		this.window = Math.max(1, this.window / 2);
	}
}

/**
 * Runs `task` for each element, keeping at most `limit.current` running at once (read again whenever
 * one ends, so the limit may grow or shrink while the batch runs); each task that ends without
 * throwing counts as accepted. Keeps result order; a task that throws rejects the whole map.
 */
export async function mapWithAdaptiveConcurrency<T, R>(
	elements: readonly T[],
	limit: AdaptiveLimit,
	task: (element: T, index: number) => Promise<R>,
	shouldStop: () => boolean = () => false,
): Promise<R[]> {
	const results = new Array<R>(elements.length);
	let next = 0;
	let running = 0;
	let failed = false;
	return await new Promise<R[]>((resolve, reject) => {
		const fill = () => {
			while (!failed && running < limit.current && next < elements.length && !shouldStop()) {
				const index = next++;
				running++;
				task(elements[index], index).then(
					(result) => {
						results[index] = result;
						limit.accepted();
						running--;
						fill();
					},
					(error: unknown) => {
						failed = true;
						running--;
						reject(error);
					},
				);
			}
			if (!failed && running === 0 && (next >= elements.length || shouldStop())) resolve(results);
		};
		fill();
	});
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
