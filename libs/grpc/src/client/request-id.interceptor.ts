// The client side of request-id propagation, and the first user of the client interceptor hook: a
// call made while serving a request carries that request's id (`x-request-id`) unless the call set
// its own, so the id a client saw at the BFF reaches every service the request touches.
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';

import { currentRequestScope, REQUEST_ID_KEY } from '../context/request-scope';

export const requestIdInterceptor: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    // grpc-js starts a call synchronously where it is made, so the scope here is the caller's.
    start(metadata, listener, next) {
      const requestId = currentRequestScope().requestId;
      if (requestId && metadata.get(REQUEST_ID_KEY).length === 0) metadata.set(REQUEST_ID_KEY, requestId);
      next(metadata, listener);
    },
  });
