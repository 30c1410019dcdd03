import type { IDataObject } from 'n8n-workflow';

import { withoutSignature } from '../../../shared/callbackSignature';
import { isObject } from '../../../shared/json';
import { simplifiedResult } from '../../../shared/resultItems';
import { outcomeFromRecord, recordForOutput } from '../../../shared/taskOutcome';

/**
 * A task record as Task → Get / Get Many output it with Simplify off. The record's `request` is the body we sent:
 * its callback_url carries signature parameters (ours, and n8n's own on a resume URL) that would
 * let anyone who sees the output post to that link, so they are removed; a mask can be megabytes
 * of base64, so only its length is kept.
 */
export function taskRecordForOutput(record: IDataObject, requestedId: string): IDataObject {
	const json = recordForOutput(record, requestedId);
	if (!isObject(json.request)) return json;
	const request: IDataObject = { ...json.request };
	if (typeof request.callback_url === 'string') request.callback_url = withoutSignature(request.callback_url);
	if (typeof request.mask === 'string' && request.mask !== '') {
		request.mask = `(mask omitted: ${request.mask.length} base64 characters)`;
	}
	return { ...json, request };
}

/**
 * A task record as Task → Get / Get Many output it with Simplify on (the default): the same flat fields as
 * a simplified Edit result (task_id, status, the image links, sizes, image_id, actions), read by the same
 * outcomeFromRecord that decides `status`. A failed task says why in `error` (the message, flat) and
 * `error_code`. Nothing of the request is kept, so no callback link or mask can leak from here.
 */
export function simplifiedTaskRecord(record: IDataObject | null | undefined, requestedId: string): IDataObject {
	const outcome = outcomeFromRecord(record, requestedId);
	const fromResult = outcome.state === 'succeeded' && outcome.result ? outcome.result : {};
	const failure = outcome.state === 'failed' ? { success: false, error: outcome.error?.message ?? 'The task ended without a result' } : {};
	// simplifiedResult also puts the fields in the order n8n shows them: the ones mapped first at the top.
	const simplified = simplifiedResult({ ...fromResult, ...failure, task_id: outcome.taskId, status: outcome.state });
	if (outcome.state === 'failed' && outcome.error?.code) simplified.error_code = outcome.error.code;
	return simplified;
}
