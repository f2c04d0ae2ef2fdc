// The gRPC edge of hearth.safety.v1.SafetyService: implements the generated controller interface and
// hands each call to its service with the call's trace context.
import { safetyV1 } from '@hearth/contracts';
import { rejectMalformedMessages } from '@hearth/grpc';

import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import type { Observable } from 'rxjs';

import { InputCheckService } from '../checks/input-check.service';
import { OutputCheckService } from '../checks/output-check.service';
import { OutputStreamService } from '../checks/output-stream.service';
import { requestContextOf } from './request-context';

@Controller()
@safetyV1.SafetyServiceControllerMethods()
export class SafetyController implements safetyV1.SafetyServiceController {
  constructor(
    @Inject(InputCheckService) private readonly input: InputCheckService,
    @Inject(OutputCheckService) private readonly output: OutputCheckService,
    @Inject(OutputStreamService) private readonly stream: OutputStreamService,
  ) {}

  checkInput(request: safetyV1.CheckInputRequest, metadata?: Metadata): Promise<safetyV1.CheckInputResponse> {
    return this.input.check(request, requestContextOf(metadata));
  }

  checkOutput(
    request: safetyV1.CheckOutputRequest,
    metadata?: Metadata,
  ): Promise<safetyV1.CheckOutputResponse> {
    return this.output.check(request, requestContextOf(metadata));
  }

  checkOutputStream(
    requests: Observable<safetyV1.CheckOutputStreamRequest>,
    metadata?: Metadata,
  ): Observable<safetyV1.CheckOutputStreamResponse> {
    return this.stream.check(requests.pipe(rejectMalformedMessages()), requestContextOf(metadata));
  }
}
