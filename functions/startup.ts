import { app } from '@azure/functions';
import { appSettings } from '../shared/config/settings';

// Validate every app setting when the app starts, so a bad setting stops start-up with a message
// naming it instead of failing the first invocation hours later.
app.hook.appStart(() => {
  appSettings();
});
