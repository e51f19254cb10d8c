/** One shape for an HTTP answer (shared/transport/response.ts), whatever n8n hands back: object, string or Buffer. */
import { normalizeResponse } from '../../../../nodes/shared/transport/response';

describe('normalizeResponse', () => {
	const url = 'https://x.org/a/demo/';

	it('takes a parsed object as JSON', () => {
		const response = normalizeResponse(
			{ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: { code: 200 } },
			url,
		);
		expect(response).toMatchObject({
			statusCode: 200,
			json: { code: 200 },
			text: '{"code":200}',
			isHtml: false,
			url,
			attempts: 1,
		});
		expect(response.headers['content-type']).toBe('application/json');
	});

	it('parses a JSON string and a JSON Buffer', () => {
		const body = '{"code": 500, "message": "Error: x"}';
		expect(
			normalizeResponse({ statusCode: 500, headers: { 'content-type': 'application/json' }, body }, url).json,
		).toEqual({ code: 500, message: 'Error: x' });
		expect(normalizeResponse({ statusCode: 500, headers: {}, body: Buffer.from(body) }, url).json).toEqual({
			code: 500,
			message: 'Error: x',
		});
		const arrayBuffer = new Uint8Array(Buffer.from(body)).buffer;
		expect(normalizeResponse({ statusCode: 500, headers: {}, body: arrayBuffer }, url).text).toBe(body);
	});

	it('marks HTML pages and never parses them', () => {
		const page = '<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body>No</body></html>';
		const response = normalizeResponse(
			{ statusCode: 403, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page },
			url,
		);
		expect(response).toMatchObject({ isHtml: true, json: undefined, text: page });
		expect(normalizeResponse({ statusCode: 500, headers: {}, body: page }, url).isHtml).toBe(true);
	});

	it('handles empty bodies and header objects with toJSON (AxiosHeaders)', () => {
		const headers = { toJSON: () => ({ Allow: 'POST', 'Set-Cookie': ['a=1', 'b=2'] }) };
		const response = normalizeResponse({ statusCode: 405, headers, body: '' }, url);
		expect(response).toMatchObject({ text: '', json: undefined, isHtml: false });
		expect(response.headers).toEqual({ allow: 'POST', 'set-cookie': 'a=1, b=2' });
	});
});
