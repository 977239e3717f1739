import { createConsola } from "consola";

/**
 * Human-facing messages: always stderr, so stdout stays data. Its own file: consola is the
 * largest module we load, and only the commands that talk to humans (create, image pull) need it.
 */
export const logger = createConsola({ stdout: process.stderr, stderr: process.stderr });
