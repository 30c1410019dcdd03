import type { IDataObject } from 'n8n-workflow';

import { TASKS_DOCUMENTED_PAGE_LIMIT, TASKS_PAGE_SIZE, TASKS_PATH } from './constants';
import { apiFailureOf } from './errors';
import { isObject } from './json';
import type { RateLimitGate } from './pacing';
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
