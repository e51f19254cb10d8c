/**
 * `npm run emulator`: the CommCare HQ emulator on its own, for trying the nodes by hand.
 * PORT (default 8765) chooses the port; one short line is printed per upload, status poll and refusal.
 */
import { startEmulator } from './index';

async function main(): Promise<void> {
	const port = Number(process.env.PORT ?? 8765);
	const emulator = await startEmulator({
		port,
		log: (line) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`),
	});
	// Something for the lookup-table read APIs to show.
	emulator.lookupTables.seed(emulator.domain, {
		tag: 'facility',
		fields: ['code', 'name', 'district'],
		rows: [
			{ fields: { code: 'F001', name: 'Kisumu County Hospital', district: 'Kisumu' } },
			{ fields: { code: 'F002', name: 'Nyalenda Health Centre', district: 'Kisumu' } },
			{ fields: { code: 'F003', name: 'Kenyatta National Hospital', district: 'Nairobi' } },
		],
	});
	console.log(`CommCare HQ emulator listening on ${emulator.baseUrl}`);
	console.log(`  project space: ${emulator.domain}`);
	console.log(`  username:      ${emulator.username}`);
	console.log(`  API key:       ${emulator.apiKey}`);
	console.log(`  password:      ${emulator.password}`);
	console.log('Press Ctrl+C to stop.');

	let stopping = false;
	const stop = (signal: string): void => {
		if (stopping) return;
		stopping = true;
		console.log(
			`${signal} received, stopping (${emulator.uploads.length} upload(s), ${emulator.cases.all().length} case(s)).`,
		);
		emulator.close().then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
