import type {
	ICredentialDataDecryptedObject,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
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
				'Your Ace Data Cloud API token, from the Ace Data Cloud console (https://platform.acedata.cloud): open Applications, then Credentials',
		},
		{
			displayName: 'Platform Token',
			name: 'platformToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"Only needed to edit files from a previous node: the platform's file upload takes this token, not the API token. It starts with 'platform-'; get it in the Ace Data Cloud console (https://platform.acedata.cloud, your account's platform token). Leave empty if you only edit image URLs.",
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
				'Used to upload input images given as files. Change only for a proxy or a test server.',
		},
	];

	/**
	 * Two tokens, one credential: the platform's file upload takes the platform token, everything else
	 * the API token. n8n applies this to every request made through httpRequestWithAuthentication, so
	 * the node never reads a token itself (the community rule) and the choice is made here, per
	 * request, from the request's URL: only a request to the files endpoint under the "Platform Base
	 * URL" gets the platform token, and it never gets the API token (with no platform token it goes
	 * without authorization; the node refuses before that). A generic `authenticate` cannot see the
	 * request, and a second credential type would make every user of URL input set up two credentials.
	 */
	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const forUpload = isPlatformUpload(credentials, requestOptions);
		const token = String((forUpload ? credentials.platformToken : credentials.apiToken) ?? '').trim();
		const headers = { ...(requestOptions.headers ?? {}) };
		for (const name of Object.keys(headers)) {
			if (name.toLowerCase() === 'authorization') delete headers[name];
		}
		if (token !== '') headers.Authorization = `Bearer ${token}`;
		return { ...requestOptions, headers };
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

/** The platform's files endpoint (nodes/shared/constants.ts FILES_PATH); credentials cannot import node code. */
const PLATFORM_FILES_PATH = '/api/v1/files';

/** True for a request to the files endpoint under the credential's Platform Base URL. */
function isPlatformUpload(credentials: ICredentialDataDecryptedObject, request: IHttpRequestOptions): boolean {
	const platformBase = String(credentials.platformBaseUrl || 'https://platform.acedata.cloud').trim().replace(/\/+$/, '');
	const url = `${request.baseURL ?? ''}${request.url ?? ''}`;
	const filesUrl = `${platformBase}${PLATFORM_FILES_PATH}`;
	return url === filesUrl || url.startsWith(`${filesUrl}/`) || url.startsWith(`${filesUrl}?`);
}
