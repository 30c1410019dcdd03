import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { IMAGINE_PATH } from '../../../../shared/constants';
import { FOLLOW_UP_ACTIONS } from '../../../../shared/followUpActions';
import { maskForRequest } from '../edit/inputs';
import type { BatchOperation } from '../submitAndWait';
import { submitAndWait } from '../submitAndWait';
import type { FollowUpKind, FollowUpPlan } from './plan';
import { followUpRequestHash, readFollowUpPlan } from './plan';

/**
 * A follow-up on a finished result is POST /midjourney/imagine with `action` + `image_id` (contract),
 * run on the same batch engine as Edit. ASSUMPTION: an edit's image_id is accepted there (the edits
 * example lists `actions`, which suggests it); the service may need "Midjourney Imagine" acquired
 * on its own, which the no_api error names (errors.ts).
 */
export function followUpOperation(kind: FollowUpKind): BatchOperation<FollowUpPlan> {
	return {
		path: IMAGINE_PATH,
		service: 'imagine',
		noun: kind.noun,
		readPlan: (ctx, itemIndex) => readFollowUpPlan(ctx, itemIndex, kind),
		requestHash: followUpRequestHash,
		prepareBody: async (ctx, plan) => {
			const body: IDataObject = { action: plan.action, image_id: plan.imageId, mode: plan.mode };
			// ASSUMPTION: imagine splits a grid result on request as edits do (the contract lists
			// split_images for edits only). Asked, as on Edit, when the output uses the four images; an
			// upscale's result is one image, never a grid.
			if (plan.output !== 'grid' && FOLLOW_UP_ACTIONS[plan.action].operation !== 'upscale') body.split_images = true;
			const mask = await maskForRequest(ctx, plan.itemIndex, plan.mask);
			if (mask !== undefined) body.mask = mask;
			return body;
		},
		// The output says which action made it; the result's own image_id and actions chain the next one.
		resultFields: (plan) => ({ action: plan.action }),
	};
}

/** The execute() of a follow-up operation. */
export function executeFollowUp(kind: FollowUpKind): (this: IExecuteFunctions) => Promise<INodeExecutionData[][]> {
	const operation = followUpOperation(kind);
	return async function (this: IExecuteFunctions) {
		return await submitAndWait(this, operation);
	};
}
