/** The subset of API Gateway's REST (v1) proxy event and result that this API uses. */
export interface GatewayEvent {
  resource?: string;
  path: string;
  httpMethod: string;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  pathParameters?: Record<string, string | undefined> | null;
  requestContext?: { requestId?: string; identity?: { sourceIp?: string } };
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface GatewayResult {
  statusCode: number;
  headers: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded?: boolean;
}
