import { app } from '@azure/functions';
import { appSettings } from '../shared/app/settings';
import { closeServices } from '../shared/app/services';
import { setupTelemetry } from '../shared/telemetry/setup';

// Telemetry first, so that everything after it (including a settings failure) reaches Application Insights.
setupTelemetry(process.env);

// Validate every app setting when the app starts, so a bad setting stops start-up with a message
// naming it instead of failing the first invocation hours later.
app.hook.appStart(() => {
  appSettings();
});

// A graceful stop (scale-in, a deployment) hands the mailbox lanes back at once; an instance that is
// killed leaves them to run out their 30 s leases.
app.hook.appTerminate(() => closeServices());
