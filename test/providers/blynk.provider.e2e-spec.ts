import { startBlynkEmulator } from '@devicegate/emulators/blynk';
test('probe', async () => {
  const e = await startBlynkEmulator({});
  const b = e.baseUrl;
  const basic = Buffer.from(`${e.credentials.clientId}:${e.credentials.clientSecret}`).toString('base64');
  const t = await fetch(`${b}/oauth2/token?grant_type=client_credentials`, { method: 'POST', headers: { authorization: `Basic ${basic}` } });
  const tok = await t.json() as { access_token: string };
  const h = { authorization: `Bearer ${tok.access_token}`, 'content-type': 'application/json' };
  const call = async (m: string, p: string, body?: unknown) => { const r = await fetch(b + p, { method: m, headers: h, body: body === undefined ? undefined : JSON.stringify(body) }); return `${m} ${p} ${r.status} ${(await r.text()).slice(0, 300)}`; };
  const out: string[] = [];
  for (const code of ['high_temperature', 'temp_high', 'battery_low', 'low_battery', 'co2_high', 'calibration', 'online', 'door_open', 'overheat', 'leak', 'high_co2']) {
    out.push(await call('POST', '/api/v1/organization/device/trigger-event', { deviceId: 1001, eventCode: code, eventDescription: 'x' }));
  }
  out.push(await call('POST', '/api/v1/organization/device/create', { templateId: 'TMPL8RITg_f9Q', name: 'Garage Relay', orgId: 101, ownerId: 203 }));
  out.push(await call('POST', '/api/v1/organization/device/create', { templateId: 'TMPLnope', name: 'X', orgId: 101 }));
  out.push(await call('PUT', '/api/v1/organization/device?deviceId=1002', { name: 'Bad#Name' }));
  out.push(await call('PUT', '/api/v1/organization/device?deviceId=1002', { name: 'x'.repeat(60) }));
  out.push(await call('POST', '/api/v1/organization/device/datastream', { deviceId: 1001, dataStreamId: 5, value: 120 }));
  out.push(await call('POST', '/api/v1/organization/device/datastream', { deviceId: 1001, dataStreamId: 99, value: 120 }));
  out.push(await call('GET', '/api/v1/organization/device/by-owner?ownerEmail=maria.keller%40acme-facilities.example&size=1'));
  out.push(await call('GET', '/api/v1/organization/device/by-user-org?userEmail=maria.keller%40acme-facilities.example&size=1'));
  out.push(await call('POST', '/api/v1/organization/device/transfer/to-owner', { deviceId: 1003, newUserId: 206 }));
  out.push(await call('POST', '/api/v1/organization/device/transfer/to-owner', { deviceId: 1003, newUserId: 205 }));
  out.push(await call('GET', '/api/v1/organization/device/timeline?deviceId=1001&size=2'));
  console.log(out.join('\n'));
  await e.close();
});
