import type { IDataObject } from 'n8n-workflow';

import { TASKS_DOCUMENTED_PAGE_LIMIT, TASKS_PAGE_SIZE, TASKS_PATH } from './constants';
import { apiFailureOf, isTransient } from './errors';
import { isObject } from './json';
import { asNodeError } from './nodeErrors';
import type { RateLimitGate } from './pacing';
import { pauseUnlessCancelled } from './pacing';
import type { TaskOutcome } from './taskOutcome';
import { outcomeFromRecord } from './taskOutcome';
import type { AceContext } from './transport';
import { aceApiRequest, waitAfterRateLimitMs } from './transport';

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

export interface FetchRecordsOptions {
	gate?: RateLimitGate;
	signal?: AbortSignal;
	maxAttempts?: number;
	/** Called once per request sent (for the poll round's request count). */
	onRequest?: () => void;
}

/**
 * Fetches the records of many tasks. Never assumes a page holds every id asked for (the maximum
 * `limit` is not documented): the ids that came back are compared with the ids asked, and the
 * missing ones are asked again, in pages no bigger than the last page the API actually filled, and
 * at last one by one with `retrieve`. Only an id that even `retrieve` answers with `{}` or `null`
 * is left out of the map (unknown). A batch of up to TASKS_PAGE_SIZE ids known to the API costs one
 * request (see constants.ts for the page size and its fallback).
 */
export async function fetchTaskRecords(
	ctx: AceContext,
	taskIds: string[],
	options: FetchRecordsOptions,
): Promise<Map<string, IDataObject>> {
	const { onRequest, ...requestOptions } = options;
	const records = new Map<string, IDataObject>();
	let toAsk = [...new Set(taskIds)];
	const oneByOne: string[] = [];
	let pageSize = TASKS_PAGE_SIZE;
	while (toAsk.length > 0) {
		const ids = toAsk.slice(0, pageSize);
		onRequest?.();
		let body: IDataObject = {};
		let failed: unknown;
		try {
			body = await aceApiRequest(
				ctx,
				TASKS_PATH,
				{ action: 'retrieve_batch', ids, offset: 0, limit: ids.length },
				{ stage: 'read', ...requestOptions },
			);
		} catch (error) {
			failed = error;
		}
		if (failed !== undefined) {
			// A page above the undocumented maximum may be refused as invalid: retry at the documented size.
			if (apiFailureOf(failed)?.status !== 400 || ids.length <= TASKS_DOCUMENTED_PAGE_LIMIT) throw failed;
			pageSize = TASKS_DOCUMENTED_PAGE_LIMIT;
			continue;
		}
		const asked = new Set(ids);
		let found = 0;
		for (const record of Array.isArray(body.items) ? (body.items as unknown[]) : []) {
			// A `null` or `{}` entry, or a record of an id we did not ask for, tells nothing.
			if (!isObject(record) || typeof record.id !== 'string' || !asked.has(record.id)) continue;
			if (!records.has(record.id)) found++;
			records.set(record.id, record);
		}
		const missing = ids.filter((id) => !records.has(id));
		toAsk = toAsk.slice(ids.length);
		if (missing.length === 0) continue;
		if (found === 0) {
			// Nothing of this page came back: smaller pages would not help; ask each id by itself.
			oneByOne.push(...missing);
		} else {
			// A short page: the API may cap pages below what we asked. Ask the rest again, in pages
			// no bigger than the one it filled; each round gets at least one record or ends one by one.
			pageSize = Math.max(1, Math.min(pageSize, found));
			toAsk = [...missing, ...toAsk];
		}
	}
	for (const id of oneByOne) {
		onRequest?.();
		const record = await aceApiRequest(ctx, TASKS_PATH, { action: 'retrieve', id }, { stage: 'read', ...requestOptions });
		if (isObject(record) && outcomeFromRecord(record, id).state !== 'not_found') records.set(id, record);
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
	// Rounds answered 429 in a row, and until when to hold back because of them (never past a deadline).
	let rateLimitedRounds = 0;
	let holdBackUntil = 0;
	while (pending.length > 0) {
		const nextDeadline = Math.min(...pending.map((task) => task.deadline));
		const untilNextRound = Math.max(options.intervalMs, holdBackUntil - Date.now());
		const waitMs = Math.max(0, Math.min(untilNextRound, nextDeadline - Date.now()));
		await pauseUnlessCancelled(waitMs, options.signal);

		let records: Map<string, IDataObject> | undefined;
		const ids = pending.map((task) => task.taskId);
		let requests = 0;
		try {
			records = await fetchTaskRecords(ctx, ids, {
				gate: options.gate,
				signal: options.signal,
				maxAttempts: 1,
				onRequest: () => requests++,
			});
		} catch (error) {
			const failure = apiFailureOf(error);
			if (!failure || !isTransient(failure)) throw asNodeError(ctx.getNode(), error);
			if (failure.status === 429) {
				// Our own schedule when the API sends no Retry-After: the poll interval, doubled each 429 in a row.
				const holdBackMs = Math.min(
					waitAfterRateLimitMs(failure, ++rateLimitedRounds, options.intervalMs),
					Math.max(0, nextDeadline - Date.now()),
				);
				holdBackUntil = Date.now() + holdBackMs;
				options.gate?.slowDown(holdBackMs);
			}
		}
		if (records) rateLimitedRounds = 0;
		options.onRound?.({
			requests,
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
