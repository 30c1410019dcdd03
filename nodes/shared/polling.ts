import type { IDataObject } from 'n8n-workflow';

import { MAX_IDS_PER_TASKS_REQUEST, TASKS_PATH } from './constants';
import { apiFailureOf, isTransient } from './errors';
import { asNodeError } from './nodeErrors';
import type { RateLimitGate } from './pacing';
import { pauseUnlessCancelled } from './pacing';
import type { TaskOutcome } from './taskOutcome';
import { outcomeFromRecord } from './taskOutcome';
import type { AceContext } from './transport';
import { aceApiRequest } from './transport';

export interface PendingTask {
	taskId: string;
	/** Epoch ms after which we stop waiting for this task. */
	deadline: number;
}

export type PollOutcome = TaskOutcome | { state: 'timed_out'; taskId: string; lastSeen?: string };

export interface PollOptions {
	intervalMs: number;
	gate?: RateLimitGate;
	signal?: AbortSignal;
	/** Called after each round with how many requests it made (for the benchmark and logs). */
	onRound?: (round: { requests: number; pending: number }) => void;
}

/** Fetches the records of many tasks, one request per MAX_IDS_PER_TASKS_REQUEST ids. */
export async function fetchTaskRecords(
	ctx: AceContext,
	taskIds: string[],
	options: { gate?: RateLimitGate; signal?: AbortSignal; maxAttempts?: number },
): Promise<Map<string, IDataObject>> {
	const records = new Map<string, IDataObject>();
	for (let start = 0; start < taskIds.length; start += MAX_IDS_PER_TASKS_REQUEST) {
		const ids = taskIds.slice(start, start + MAX_IDS_PER_TASKS_REQUEST);
		const body = await aceApiRequest(
			ctx,
			TASKS_PATH,
			{ action: 'retrieve_batch', ids, offset: 0, limit: ids.length },
			{ stage: 'read', ...options },
		);
		const items = Array.isArray(body.items) ? (body.items as IDataObject[]) : [];
		for (const record of items) {
			if (record && typeof record.id === 'string') records.set(record.id, record);
		}
	}
	return records;
}

/**
 * Polls every unfinished task together (one retrieve_batch per round for the whole batch) until
 * each has succeeded, failed or passed its deadline. Transient failures of a round (5xx, 429,
 * dropped connections, malformed JSON) only cost that round; anything else (a revoked token) ends
 * the wait with that error.
 */
export async function pollUntilDone(
	ctx: AceContext,
	tasks: PendingTask[],
	options: PollOptions,
): Promise<Map<string, PollOutcome>> {
	const outcomes = new Map<string, PollOutcome>();
	const lastSeen = new Map<string, string>();
	let pending = [...tasks];
	while (pending.length > 0) {
		const nextDeadline = Math.min(...pending.map((task) => task.deadline));
		const waitMs = Math.max(0, Math.min(options.intervalMs, nextDeadline - Date.now()));
		await pauseUnlessCancelled(waitMs, options.signal);

		let records: Map<string, IDataObject> | undefined;
		const ids = pending.map((task) => task.taskId);
		try {
			records = await fetchTaskRecords(ctx, ids, {
				gate: options.gate,
				signal: options.signal,
				maxAttempts: 1,
			});
		} catch (error) {
			const failure = apiFailureOf(error);
			if (!failure || !isTransient(failure)) throw asNodeError(ctx.getNode(), error);
			if (failure.status === 429) {
				options.gate?.slowDown((failure.retryAfterSeconds ?? 0) * 1000 || options.intervalMs);
			}
		}
		options.onRound?.({
			requests: Math.ceil(ids.length / MAX_IDS_PER_TASKS_REQUEST),
			pending: ids.length,
		});

		const now = Date.now();
		const stillPending: PendingTask[] = [];
		for (const task of pending) {
			const record = records?.get(task.taskId);
			const outcome = record ? outcomeFromRecord(record, task.taskId) : undefined;
			if (outcome && (outcome.state === 'succeeded' || outcome.state === 'failed')) {
				outcomes.set(task.taskId, outcome);
				continue;
			}
			// A round that failed tells nothing; a round without the task means the API does not know it.
			if (records) lastSeen.set(task.taskId, outcome?.state ?? 'not_found');
			if (now >= task.deadline) {
				outcomes.set(task.taskId, { state: 'timed_out', taskId: task.taskId, lastSeen: lastSeen.get(task.taskId) });
			} else {
				stillPending.push(task);
			}
		}
		pending = stillPending;
	}
	return outcomes;
}
