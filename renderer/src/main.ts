// The renderer's entry: bridge → client → stores → Vue.
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { createClient } from '../../shared/contract/bridge-client.js';
import App from './App.vue';
import { setClient } from './bridge/client.js';
import { createTransport } from './bridge/index.js';
import { i18n } from './i18n/index.js';
import { useSettings } from './stores/settings.js';
import { startSync } from './stores/sync.js';
import './styles/main.css';

const transport = createTransport();
const client = createClient(transport);
setClient(client);

const app = createApp(App);
app.use(createPinia());
app.use(i18n);
useSettings();
startSync(client, transport);
app.mount('#app');

// Opened without #token=…: once a token is pasted into the address, start over with it.
if (transport.status().state === 'no-token') {
  window.addEventListener('hashchange', () => window.location.reload());
}
