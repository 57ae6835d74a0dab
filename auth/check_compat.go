package auth

// Former check IDs, still named by tests being rewritten; removed with them.
const (
	CheckDiscovery         = "discovery"
	CheckClientCredentials = "client-credentials"
	CheckViewUsers         = "view-users"
)
