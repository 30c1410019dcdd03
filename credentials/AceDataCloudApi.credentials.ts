import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

/**
 * One Ace Data Cloud token works for every service of the vendor, so the credential is named after
 * the vendor, not after Midjourney: other Ace Data Cloud nodes can share it.
 */
export class AceDataCloudApi implements ICredentialType {
	name = 'aceDataCloudApi';

	displayName = 'Ace Data Cloud API';

	icon: Icon = {
		light: 'file:../nodes/MidjourneyEdits/midjourney.svg',
		dark: 'file:../nodes/MidjourneyEdits/midjourney.dark.svg',
	};

	documentationUrl = 'https://platform.acedata.cloud/documents';

	properties: INodeProperties[] = [
		{
			displayName: 'API Token',
			name: 'apiToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Your Ace Data Cloud API token (Platform → Applications → Credentials). It is sent as "Bearer" authorization.',
		},
		{
			displayName: 'API Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.acedata.cloud',
			description: 'Change only for a proxy or a test server',
		},
		{
			displayName: 'Platform Base URL',
			name: 'platformBaseUrl',
			type: 'string',
			default: 'https://platform.acedata.cloud',
			description:
				'Used to upload input images given as files (binary data). Change only for a proxy or a test server.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.apiToken}}',
			},
		},
	};

	// Asking for an empty batch of tasks is free and creates nothing, yet still checks the token
	// (the vendor's own n8n nodes test credentials this way).
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/midjourney/tasks',
			method: 'POST',
			headers: { accept: 'application/json', 'content-type': 'application/json' },
			body: { action: 'retrieve_batch', ids: [] },
		},
	};
}
