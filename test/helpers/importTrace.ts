/** `node --import ./importTrace.js …`: registers importTraceHooks.js (see there). */
import { register } from 'node:module';

register(new URL('./importTraceHooks.js', import.meta.url));
