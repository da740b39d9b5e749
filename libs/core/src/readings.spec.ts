import { applyDeclaredUnits, toReading, withDeclaredUnit, type DeclaredUnits } from './readings.js';

const origin = { connectionId: 'c', provider: 'iottly' as const, deviceId: 'c:d', messageId: 'c:m', at: '2026-01-01T00:00:00.000Z' };
const UNITS: DeclaredUnits = { temperature: 'Cel', 'boiler.flow_temp': 'Cel', 'fridge.temperature': '[degF]' };

describe('declared units', () => {
  it('fill a unit the vendor left unknown, by native name before common name, never converting the value', () => {
    const byName = withDeclaredUnit(toReading(origin, 'greenhouse.temperature', 21.5, { name: 'temperature', unit: null }), UNITS);
    expect(byName).toMatchObject({ unit: 'Cel', value: 21.5, name: 'temperature' });
    expect(withDeclaredUnit(toReading(origin, 'fridge.temperature', 38, { name: 'temperature', unit: null }), UNITS)).toMatchObject({ unit: '[degF]', value: 38 });
    expect(withDeclaredUnit(toReading(origin, 'boiler.flow_temp', 64.2), UNITS).unit).toBe('Cel');
    expect(withDeclaredUnit(toReading(origin, 'cpu.load', 0.3), UNITS).unit).toBeNull();
  });

  it('leave a unit the vendor gave as it is', () => {
    expect(withDeclaredUnit(toReading(origin, 'weather.temperature', 12, { name: 'temperature', unit: 'K' }), UNITS).unit).toBe('K');
  });

  it('apply to a reading and to the readings of a device, status or message, and leave anything else alone', () => {
    const reading = toReading(origin, 'temperature', 20, { name: 'temperature', unit: null });
    expect(applyDeclaredUnits(reading, UNITS).unit).toBe('Cel');
    expect(applyDeclaredUnits({ object: 'device_status', readings: [reading] }, UNITS).readings[0].unit).toBe('Cel');
    expect(applyDeclaredUnits({ object: 'device', readings: null }, UNITS)).toEqual({ object: 'device', readings: null });
    expect(applyDeclaredUnits('text', UNITS)).toBe('text');
    // The vendor's object is not changed in place.
    expect(reading.unit).toBeNull();
  });
});
