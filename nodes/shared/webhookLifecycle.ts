import type { IHookFunctions } from 'n8n-workflow';

/**
 * n8n calls these when a workflow with one of our webhooks is activated or deactivated. Neither node
 * has anything to register with the API: the action node's only webhook is an execution's resume URL
 * (n8n never registers those), and the trigger's URL is handed to the API with each edit. So they
 * report success and change nothing; in particular the trigger's remembered task ids stay, so a late
 * repeat after re-activation is still recognised.
 */
export const webhookMethodsWithNothingToRegister = {
	default: {
		async checkExists(this: IHookFunctions): Promise<boolean> {
			return true;
		},
		async create(this: IHookFunctions): Promise<boolean> {
			return true;
		},
		async delete(this: IHookFunctions): Promise<boolean> {
			return true;
		},
	},
};
