import type { IDataObject } from 'n8n-workflow';

import { withoutSignature } from '../../../shared/callbackSignature';
import { isObject } from '../../../shared/json';
import { recordForOutput } from '../../../shared/taskOutcome';

/**
 * A task record as Task → Get / Get Many output it. The record's `request` is the body we sent:
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
