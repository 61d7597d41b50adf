import { describe, expect, it } from 'vitest';
import { configSecrets } from '../../../../agent/config/configSecrets.js';
import { parseSiteConfigText } from '../../../../agent/config/loadSiteConfig.js';

describe('configSecrets', () => {
  it('lists passwords, tokens and URL secrets of a resolved config, but no user names', () => {
    const text = `
version: 1
site: { id: site-a }
mqtt:
  urls: ["mqtt://bridge:BrokerUrlPw@127.0.0.1:1883"]
  username: agent-user
  password: env:MQTT_PW
metrics:
  host: 0.0.0.0
  auth: { username: prometheus, password: ScrapePw9 }
cameras:
  - id: cam-1
    source: { url: env:CAM1 }
  - id: cam-2
    source: { url: "rtsp://10.0.0.2/user=admin&password=XmPass1&channel=1" }
  - id: cam-3
    source: { url: "rtsp://10.0.0.3/live?channel=1&access_token=Tok3n&api_key=K3y" }
  - id: cam-4
    source: { url: clips/plaza.mp4 }
`;
    const loaded = parseSiteConfigText(text, 'site.yaml', { MQTT_PW: 'MqttPw-from-env', CAM1: 'rtsp://admin:Cam 1#pw@10.0.0.1/stream' });
    expect(configSecrets(loaded.config)).toEqual([
      { name: 'mqtt.password', value: 'MqttPw-from-env' },
      { name: 'mqtt.urls[0]', value: 'BrokerUrlPw' },
      { name: 'metrics.auth.password', value: 'ScrapePw9' },
      { name: 'cameras[0].source.url', value: 'Cam 1#pw' },
      { name: 'cameras[1].source.url', value: 'XmPass1' },
      { name: 'cameras[2].source.url', value: 'Tok3n' },
      { name: 'cameras[2].source.url', value: 'K3y' },
    ]);
  });
});
