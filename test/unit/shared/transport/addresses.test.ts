/**
 * Where requests may go (shared/transport/addresses.ts): the credential's Base URL checked and normalised, the URLs
 * built from it, the project space read from a status URL, and the same-origin rule every request passes.
 */
import { validateProjectSpace } from '../../../../nodes/shared/projectSpace';
import {
	bulkUploadUrl,
	checkedRequestUrl,
	insecureBaseUrlWarning,
	normalizeBaseUrl,
	projectSpaceFromUrl,
} from '../../../../nodes/shared/transport/addresses';

describe('normalizeBaseUrl', () => {
	it.each([
		['https://www.commcarehq.org', 'https://www.commcarehq.org'],
		['  https://www.commcarehq.org/// ', 'https://www.commcarehq.org'],
		['HTTPS://India.CommCareHQ.org/', 'https://india.commcarehq.org'],
		['https://example.org:8443/commcare/', 'https://example.org:8443/commcare'],
		['https://example.org:443/', 'https://example.org'],
		['http://127.0.0.1:8000', 'http://127.0.0.1:8000'],
	])('%s -> %s', (raw, expected) => {
		expect(normalizeBaseUrl(raw)).toBe(expected);
	});

	it.each([
		['', /no Base URL/],
		['www.commcarehq.org', /does not start with https:\/\/.*/],
		['ftp://example.org', /must start with https:\/\/ \(found 'ftp:\/\/'\)/],
		['https://example.org/?x=1', /query or fragment/],
		['https://example.org/#top', /query or fragment/],
		['https://www.commcarehq.org/a/demo/dashboard/', /points into project space 'demo'/],
		['https://exa mple.org', /not a valid web address/],
	])('refuses %j', (raw, message) => {
		expect(() => normalizeBaseUrl(raw)).toThrow(message);
	});

	it('suggests the https form when the scheme is missing', () => {
		expect(() => normalizeBaseUrl('www.commcarehq.org')).toThrow(
			expect.objectContaining({ description: expect.stringContaining('https://www.commcarehq.org') }),
		);
	});

	it('refuses user:password in the URL without echoing the password', () => {
		let message = '';
		try {
			normalizeBaseUrl('https://me:s3cret-pass@example.org');
		} catch (error) {
			message = (error as Error).message + String((error as { description?: string }).description);
		}
		expect(message).toMatch(/must not contain a user name or password/);
		expect(message).not.toContain('s3cret-pass');
	});

	it('warns about plain http except on loopback', () => {
		expect(insecureBaseUrlWarning('http://commcare.example.org')).toMatch(/plain http/);
		expect(insecureBaseUrlWarning('https://commcare.example.org')).toBeUndefined();
		expect(insecureBaseUrlWarning('http://127.0.0.1:9000')).toBeUndefined();
		expect(insecureBaseUrlWarning('http://localhost:9000')).toBeUndefined();
	});
});

describe('project space and upload URL', () => {
	it('builds the upload URL with its trailing slash, keeping a path prefix', () => {
		expect(bulkUploadUrl(normalizeBaseUrl('https://www.commcarehq.org/'), validateProjectSpace('demo'))).toBe(
			'https://www.commcarehq.org/a/demo/importer/excel/bulk_upload_api/',
		);
		expect(
			bulkUploadUrl(normalizeBaseUrl('https://example.org/commcare'), validateProjectSpace(' my-project-2 ')),
		).toBe('https://example.org/commcare/a/my-project-2/importer/excel/bulk_upload_api/');
	});
	it('reads the project space from a status URL', () => {
		expect(projectSpaceFromUrl('https://x.org/a/demo/importer/history/uploads/abc/status')).toBe('demo');
		expect(projectSpaceFromUrl('https://x.org/api/identity/v1/')).toBeUndefined();
		expect(projectSpaceFromUrl('not a url')).toBeUndefined();
	});
});

describe('checkedRequestUrl', () => {
	const base = normalizeBaseUrl('https://www.commcarehq.org');

	it('accepts URLs on the Base URL origin, default port or not', () => {
		expect(checkedRequestUrl('https://www.commcarehq.org/a/demo/x/status', base)).toBe(
			'https://www.commcarehq.org/a/demo/x/status',
		);
		expect(checkedRequestUrl('https://WWW.commcarehq.org:443/a/demo/', base)).toBe(
			'https://www.commcarehq.org/a/demo/',
		);
	});

	it("resolves a path on the server against the Base URL's origin", () => {
		expect(checkedRequestUrl('/a/demo/status', base)).toBe('https://www.commcarehq.org/a/demo/status');
		expect(checkedRequestUrl('/a/demo/status', normalizeBaseUrl('https://example.org/commcare'))).toBe(
			'https://example.org/a/demo/status',
		);
	});

	it.each([
		[
			'https://evil.example.org/a/demo/status',
			/Refusing to send the CommCare credential to https:\/\/evil\.example\.org/,
		],
		[
			'http://www.commcarehq.org/a/demo/status',
			/Refusing to send the CommCare credential to http:\/\/www\.commcarehq\.org/,
		],
		['https://www.commcarehq.org:8443/a/demo/status', /Refusing/],
		['file:///etc/passwd', /not an http\(s\) address/],
		['http://[::1', /is not a valid web address/],
		[
			'not a url',
			/is not a web address: it must be absolute \(https:\/\/…\) or a path on the CommCare server \(\/a\/…\)/,
		],
		['//evil.example.org/a/demo/status', /Refusing to send the CommCare credential to https:\/\/evil\.example\.org/],
		['https://www.commcarehq.org/a/demo/%zz/status', /'%' that is not followed by two hex digits/],
		['https://me:pw@www.commcarehq.org/a/demo/status', /contains a user name or password/],
	])('refuses %s', (url, message) => {
		expect(() => checkedRequestUrl(url, base)).toThrow(message);
	});

	it('never repeats a query or a password in its message', () => {
		for (const url of [
			'https://evil.example.org/x?api_key=k-123456789',
			'https://me:pa/ss-9876543@www.commcarehq.org/x',
		]) {
			let message = '';
			try {
				checkedRequestUrl(url, base);
			} catch (error) {
				message = `${(error as Error).message} ${(error as { description?: string }).description ?? ''}`;
			}
			expect(message).not.toBe('');
			expect(message).not.toContain('k-123456789');
			expect(message).not.toContain('9876543');
		}
	});
});
