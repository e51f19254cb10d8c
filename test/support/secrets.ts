/**
 * Secrets a test must find nowhere: the pieces of a user's key and password a leak would show, whole or cut. The
 * hardening suites search every run for them; the end-to-end suite searches real n8n's executions and logs.
 */

/**
 * What must never appear anywhere: every piece of 8 characters of the key, of the password and of the base64 of
 * `user:password` and `user:key` (so a cut echo, "ak-SECRET-3f9c…", counts as a leak too), and `user:key` whole.
 * Pieces the username also holds are not secret (messages name the user). Searched whitespace-insensitively.
 */
export function secretNeedles(user: { username: string; apiKey?: string; password?: string }): string[] {
	const collapse = (text: string) => text.replace(/\s+/g, ' ');
	const secrets = [
		user.apiKey ?? '',
		user.password ?? '',
		`${user.username}:${user.password ?? ''}`,
		`${user.username}:${user.apiKey ?? ''}`,
	];
	const parts = [
		secrets[0],
		secrets[1],
		Buffer.from(secrets[2]).toString('base64'),
		Buffer.from(secrets[3]).toString('base64'),
	]
		.map((secret) => collapse(secret.trim()))
		.filter((secret) => secret.length > 0);
	const needles = new Set<string>();
	for (const secret of parts) {
		if (secret.length < 8) needles.add(secret);
		for (let i = 0; i + 8 <= secret.length; i++) {
			const piece = secret.slice(i, i + 8);
			if (!user.username.includes(piece)) needles.add(piece);
		}
	}
	if (user.apiKey) needles.add(`${user.username}:${user.apiKey.trim()}`);
	return [...needles];
}
