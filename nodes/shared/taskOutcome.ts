import type { IDataObject } from 'n8n-workflow';

import { isObject } from './json';

/**
 * The API has no status field. Like the vendor's own clients we read it off the record:
 * `response.success === true` → succeeded; `success === false` or an `error` → failed;
 * no `response` yet → still running; `{}` for an id it does not know.
 */
export type TaskState = 'succeeded' | 'failed' | 'running' | 'not_found';

export interface TaskOutcome {
	state: TaskState;
	taskId: string;
	/** The flat result (sync answer, callback body, or a record's `response`), sizes as numbers. */
	result?: IDataObject;
	error?: { code?: string; message?: string };
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

/** Reads a flat result (sync answer, callback body, or a record's `response`). */
export function outcomeFromResult(result: IDataObject, fallbackTaskId = ''): TaskOutcome {
	const taskId = typeof result.task_id === 'string' ? result.task_id : fallbackTaskId;
	if (result.success === true) {
		return { state: 'succeeded', taskId, result: normaliseResult(result) };
	}
	if (result.success === false || isObject(result.error)) {
		return { state: 'failed', taskId, result, error: errorOf(result) };
	}
	return { state: 'running', taskId };
}

/** Reads a task record from POST /midjourney/tasks. */
export function outcomeFromRecord(record: IDataObject, requestedId: string): TaskOutcome {
	const taskId = typeof record.id === 'string' ? record.id : requestedId;
	if (Object.keys(record).length === 0 || (record.id === undefined && record.response === undefined)) {
		return { state: 'not_found', taskId: requestedId };
	}
	if (isObject(record.response)) {
		const outcome = outcomeFromResult(record.response, taskId);
		return { ...outcome, taskId };
	}
	if (isObject(record.error)) {
		return { state: 'failed', taskId, error: errorOf(record) };
	}
	return { state: 'running', taskId };
}

/** A task record for output: the record as the API sent it plus a readable `status`. */
export function recordForOutput(record: IDataObject, requestedId: string): IDataObject {
	const outcome = outcomeFromRecord(record, requestedId);
	if (outcome.state === 'not_found') return { id: requestedId, status: 'not_found' };
	const output: IDataObject = { ...record, status: outcome.state };
	if (outcome.result && outcome.state === 'succeeded') output.response = outcome.result;
	return output;
}
