import { ProviderRegistry } from '@devicegate/core';
import { blynkProvider } from '@devicegate/providers/blynk';
import { disruptiveProvider } from '@devicegate/providers/disruptive';
import { hardwarioProvider } from '@devicegate/providers/hardwario';
import { iottlyProvider } from '@devicegate/providers/iottly';
import { izumaProvider } from '@devicegate/providers/izuma';

/** Every provider this build of devicegate ships, in the order of API.md. */
export const createProviderRegistry = (): ProviderRegistry =>
  new ProviderRegistry([hardwarioProvider, disruptiveProvider, iottlyProvider, izumaProvider, blynkProvider]);
