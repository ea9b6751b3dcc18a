# A connection is imported by its ARM id (project- or account-level).
# ARM's GET returns no credentials: api_key, oauth2.client_secret and oauth2.client_id stay null after import
# (client_id is read back only if a response carries credentials.clientId); custom_headers is metadata, which ARM
# returns, so it is imported.
terraform import foundry_gateway_connection.apim \
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main/connections/apim-gateway"
