import { ProviderRegistry } from '@devicegate/core';
import { disruptiveProvider } from '@devicegate/providers/disruptive';
import { hardwarioProvider } from '@devicegate/providers/hardwario';
import { izumaProvider } from '@devicegate/providers/izuma';

/** Every provider this build of devicegate ships. */
export const createProviderRegistry = (): ProviderRegistry => new ProviderRegistry([hardwarioProvider, disruptiveProvider, izumaProvider]);
