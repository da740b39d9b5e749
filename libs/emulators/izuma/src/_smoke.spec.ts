import { SeededRandom } from '@devicegate/emulators/kit';
it('prof', () => {
  const r = new SeededRandom(1);
  let t = performance.now();
  for (let i = 0; i < 20000; i++) r.hex(64);
  console.log('hex64 x20k', performance.now() - t); t = performance.now();
  for (let i = 0; i < 10000; i++) r.uuid4();
  console.log('uuid x10k', performance.now() - t); t = performance.now();
  for (let i = 0; i < 10000; i++) Array.from({ length: 32 }, () => r.hex(2).toUpperCase()).join(':');
  console.log('fp x10k', performance.now() - t); t = performance.now();
  for (let i = 0; i < 1000000; i++) r.next();
  console.log('next x1M', performance.now() - t); t = performance.now();
});
