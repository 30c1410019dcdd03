import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { acceptSignedCallback, callbackItems, readFinishedCallback } from '../../../../shared/callbackIntake';
import type { DownloadImages } from '../../../../shared/resultItems';

/**
 * Runs when the API posts a result to the execution's resume URL ("Wait for Callback"): the items
 * returned become this node's output and the execution goes on. Without workflowData n8n keeps
 * the execution waiting (a refused, malformed or in-progress post does not end the wait).
 *
 * The resume URL handed to the API carries our signature, bound to the execution id. n8n 1.x does
 * not sign resume URLs and its execution ids are sequential, so without this check anyone reaching
 * n8n could resume a waiting execution with a made-up result. No expiry: the wait's own timeout
 * bounds how long the link is of any use.
 */
export async function resumeFromCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = this.getRequestObject();
	const pathname = new URL(request.originalUrl ?? request.url, 'http://resume.invalid').pathname;
	if (!(await acceptSignedCallback(this, pathname, 0))) return { noWebhookResponse: true };
	const callback = readFinishedCallback(this);
	if (!callback) return { noWebhookResponse: true };
	const options = this.getNodeParameter('options', {}) as { downloadImages?: DownloadImages };
	return { workflowData: [await callbackItems(this, callback, options.downloadImages ?? 'none', 0)] };
}
