import { AlreadyExistsError, InterruptedError, UsageError } from "../errors.ts";
import { createInstance, type CreateOptions, type CreateResult } from "./create-instance.ts";
import { forkInstance } from "./fork-instance.ts";
import { readTemplate } from "./template-state.ts";

export interface FromTemplate {
  /** Fork from this template instead of booting `options.image`. */
  from?: string;
  /** When the fork fails, boot the template's image instead. */
  orBoot?: boolean;
  /** Whether `options.network` was asked for (else the fork keeps its template's network). */
  network?: boolean;
}

/**
 * `create`: boots an image, or forks a template; with `orBoot`, a fork that fails (and has
 * been rolled back) is followed by a normal boot of the template's image.
 */
export async function createOrFork(options: CreateOptions, fork: FromTemplate): Promise<CreateResult> {
  if (fork.from === undefined) return createInstance(options);
  try {
    return await forkInstance({ ...options, from: fork.from, network: fork.network ? options.network : undefined });
  } catch (error) {
    // Errors of the request itself would fail the boot the same way.
    if (!fork.orBoot || error instanceof UsageError || error instanceof AlreadyExistsError || error instanceof InterruptedError) throw error;
    const template = readTemplate(options.dataDir, fork.from);
    if (!template) throw error;
    options.log?.(`Forking from template "${fork.from}" failed (${(error as Error).message}); booting ${template.image.source} instead`);
    return createInstance({
      ...options,
      image: template.image.source,
      user: template.user,
      provisioning: { inputs: template.inputs, password: options.provisioning?.password },
    });
  }
}
