import { ProviderRegistry } from '@devicegate/core';
import { hardwarioProvider } from '@devicegate/providers/hardwario';

/** Every provider this build of devicegate ships. */
export const createProviderRegistry = (): ProviderRegistry => new ProviderRegistry([hardwarioProvider]);
