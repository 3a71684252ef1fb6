/**
 * Sluice's flow components: sink processors, channel selectors and interceptors. The runtime
 * registers them from the plain lists below, explicitly.
 */
import type { InterceptorFactory, ProcessorFactory, SelectorFactory } from '@sluice/config';
import { defaultProcessor } from './default-processor/default-processor.js';
import { failoverProcessor } from './failover-processor/failover-processor.js';
import { hostInterceptor } from './host-interceptor/host-interceptor.js';
import { loadBalanceProcessor } from './load-balance-processor/load-balance-processor.js';
import { replicatingSelector } from './replicating-selector/replicating-selector.js';
import { staticInterceptor } from './static-interceptor/static-interceptor.js';
import { timestampInterceptor } from './timestamp-interceptor/timestamp-interceptor.js';

export { defaultProcessor } from './default-processor/default-processor.js';
export { failoverProcessor } from './failover-processor/failover-processor.js';
export { hostInterceptor } from './host-interceptor/host-interceptor.js';
export { loadBalanceProcessor } from './load-balance-processor/load-balance-processor.js';
export { replicatingSelector } from './replicating-selector/replicating-selector.js';
export { staticInterceptor } from './static-interceptor/static-interceptor.js';
export { timestampInterceptor } from './timestamp-interceptor/timestamp-interceptor.js';

export const INTERCEPTOR_FACTORIES: readonly InterceptorFactory[] = [staticInterceptor, timestampInterceptor, hostInterceptor];
export const SELECTOR_FACTORIES: readonly SelectorFactory[] = [replicatingSelector];
export const PROCESSOR_FACTORIES: readonly ProcessorFactory[] = [defaultProcessor, failoverProcessor, loadBalanceProcessor];
