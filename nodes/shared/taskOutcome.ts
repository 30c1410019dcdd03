import type { IDataObject } from 'n8n-workflow';

import { isObject } from './json';

/**
 * The API has no documented status field. Like the vendor's own clients we read it off the record
 * (contract, tasks section), and ONE function decides: `outcomeFromRecord`, used by polling, Task
 * Get / Get Many, the trigger and the callback resume.
 * - succeeded: `response.success === true` with `progress` 100 or absent;
 * - failed: only on a final signal: a `state` of failed/error/cancelled (vendor MCP server), or a
 *   finished record (`finished_at` set, or `state` finished) without a successful response;
 * - running: everything else, in particular progress below 100 (progress callbacks), and
 *   `response.success === false` while `state` is generating or `finished_at` is null (the vendor's
 *   SDK warns some services do that);
 * - not_found: `{}` or `null`, which is how the API answers an id it does not know.
 */
export type TaskState = 'succeeded' | 'failed' | 'running' | 'not_found';

export interface TaskOutcome {
	state: TaskState;
	taskId: string;
	/** The flat result (sync answer, callback body, or a record's `response`), sizes as numbers. */
	result?: IDataObject;
	error?: { code?: string; message?: string };
	/** The follow-up action (upscale2, reroll...) the task's request named; absent for an edit. */
	action?: string;
}

const SIZE_FIELDS = ['image_width', 'image_height', 'raw_image_width', 'raw_image_height'];


/**
 * Sizes are integers in every example but strings in the vendor's OpenAPI file; we accept both
 * and always output numbers, so downstream expressions can compare them.
 */
export function normaliseResult(result: IDataObject): IDataObject {
	const normalised: IDataObject = { ...result };
	for (const field of SIZE_FIELDS) {
		const value = normalised[field];
		if (typeof value === 'string' && /^\d+$/.test(value.trim())) normalised[field] = Number(value);
	}
	return normalised;
}

function errorOf(value: IDataObject): { code?: string; message?: string } {
	const error = isObject(value.error) ? value.error : {};
	return {
		code: typeof error.code === 'string' ? error.code : undefined,
		message: typeof error.message === 'string' ? error.message : undefined,
	};
}

/** States after which the vendor's MCP server stops polling: the task is over and has no result. */
const FAILED_STATES = new Set(['failed', 'error', 'cancelled', 'canceled']);
/** States of a task that is over; a finished task without a successful response has failed. */
const FINAL_STATES = new Set([...FAILED_STATES, 'finished', 'succeeded', 'success', 'completed']);

/** The record's `state`, lower-cased, if it has one (the web app's pending/generating/finished/failed). */
function stateOf(record: IDataObject): string | undefined {
	return typeof record.state === 'string' && record.state.trim() !== '' ? record.state.trim().toLowerCase() : undefined;
}

/** `progress` as a number (it may come as a numeric string), or undefined when absent or unreadable. */
function progressOf(result: IDataObject): number | undefined {
	const value = typeof result.progress === 'string' ? Number(result.progress.trim()) : result.progress;
	return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** An intermediate result (a progress callback, a record still generating) is never the finished edit. */
function isInProgress(result: IDataObject): boolean {
	const progress = progressOf(result);
	return progress !== undefined && progress < 100;
}

/**
 * Reads a flat result (sync answer, callback body, or a record's `response`). A body with
 * `progress` below 100 is still running whatever its `success` says.
 */
export function outcomeFromResult(result: IDataObject, fallbackTaskId = ''): TaskOutcome {
	const taskId = typeof result.task_id === 'string' ? result.task_id : fallbackTaskId;
	if (isInProgress(result)) return { state: 'running', taskId };
	if (result.success === true) {
		return { state: 'succeeded', taskId, result: normaliseResult(result) };
	}
	if (result.success === false || isObject(result.error)) {
		return { state: 'failed', taskId, result, error: errorOf(result) };
	}
	return { state: 'running', taskId };
}

function isUnknownRecord(record: IDataObject | null | undefined): record is null | undefined {
	if (!isObject(record)) return true;
	return record.id === undefined && record.response === undefined && stateOf(record) === undefined;
}

/** The error to report for a failed record: the response's, else the record's, else the state. */
function failureOfRecord(record: IDataObject, response: IDataObject | undefined, state: string | undefined) {
	if (response && isObject(response.error)) return errorOf(response);
	if (isObject(record.error)) return errorOf(record);
	return {
		code: state ?? 'task_failed',
		message: state ? `The task ended in state "${state}" without a result` : 'The task finished without a result',
	};
}

/** Reads a task record from POST /midjourney/tasks (`null` and `{}` mean the API does not know the id). */
export function outcomeFromRecord(record: IDataObject | null | undefined, requestedId: string): TaskOutcome {
	if (isUnknownRecord(record)) return { state: 'not_found', taskId: requestedId };
	const taskId = typeof record.id === 'string' ? record.id : requestedId;
	const state = stateOf(record);
	const response = isObject(record.response) ? record.response : undefined;

	if (state !== undefined && FAILED_STATES.has(state)) {
		return { state: 'failed', taskId, ...(response ? { result: response } : {}), error: failureOfRecord(record, response, state) };
	}
	if (response && isInProgress(response)) return { state: 'running', taskId };
	if (response?.success === true) {
		return { state: 'succeeded', taskId, result: normaliseResult(response) };
	}
	const saysRunning = (state !== undefined && !FINAL_STATES.has(state)) || record.finished_at === null;
	const saysFinished =
		(state !== undefined && FINAL_STATES.has(state)) ||
		(record.finished_at !== undefined && record.finished_at !== null && record.finished_at !== '');
	if (saysRunning || !saysFinished) return { state: 'running', taskId };
	return { state: 'failed', taskId, ...(response ? { result: response } : {}), error: failureOfRecord(record, response, state) };
}

/**
 * A task record for output: the record as the API sent it plus a readable `status` (succeeded,
 * failed, running, not_found) decided by outcomeFromRecord, and for a failed task the `error` it
 * read (so a `state: failed` record without a response still says why).
 */
export function recordForOutput(record: IDataObject | null | undefined, requestedId: string): IDataObject {
	const outcome = outcomeFromRecord(record, requestedId);
	if (outcome.state === 'not_found' || !record) return { id: requestedId, status: 'not_found' };
	const output: IDataObject = { ...record, status: outcome.state };
	if (outcome.result && outcome.state === 'succeeded') output.response = outcome.result;
	if (outcome.state === 'failed' && output.error === undefined && outcome.error) output.error = { ...outcome.error };
	return output;
}
