using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rpc.Server;
using Rpc.Server.Data;

namespace Rpc.Tests.Infrastructure;

/// <summary>
/// A real server on a free loopback port with a fresh database, composed exactly as Program.cs composes
/// it: a SQLite file in a temp folder, or, when <c>RPC_TEST_POSTGRES</c> holds a connection string (see
/// run.sh), a new PostgreSQL database named after that folder. Tests talk to it over real HTTP and
/// WebSocket connections.
/// </summary>
public sealed class RpcTestServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private RpcTestServer(WebApplication app, string directory, Uri baseUri)
    {
        this.app = app;
        Directory = directory;
        BaseUri = baseUri;
        Http = new HttpClient { BaseAddress = baseUri };
    }

    public string Directory { get; }

    public Uri BaseUri { get; }

    public Uri RpcUri => new(BaseUri, "/rpc");

    public Uri WebSocketUri => new($"ws://{BaseUri.Authority}/rpc");

    public HttpClient Http { get; }

    /// <summary>Keep the database folder when the server stops, for tests that start a second server on it.</summary>
    public bool KeepFiles { get; set; }

    public IServiceProvider Services => app.Services;

    /// <summary>The SQLite file (tests of SQLite itself only: they are in the <c>sqlite</c> category).</summary>
    public string DatabasePath => Path.Combine(Directory, "rpc.db");

    /// <summary>The PostgreSQL server the suite runs against, or null for SQLite.</summary>
    public static string? Postgres { get; } = Environment.GetEnvironmentVariable("RPC_TEST_POSTGRES") is { Length: > 0 } p ? p : null;

    /// <summary>A connection to this server's database, whichever provider it uses.</summary>
    public Task<DbConnection> OpenDatabaseAsync() => Get<DbConnectionFactory>().OpenAsync(CancellationToken.None);

    private static string DatabaseName(string directory) =>
        "rpc_" + new string(Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)).Where(char.IsAsciiLetterOrDigit).Take(40).ToArray()).ToLowerInvariant();

    /// <summary>Fast password hashing for tests that are not about hashing: Argon2id with 8 MiB and one pass.</summary>
    public static readonly IReadOnlyDictionary<string, string?> FastHashing = new Dictionary<string, string?>
    {
        ["Passwords:MemoryKiB"] = "8192",
        ["Passwords:Iterations"] = "1",
    };

    /// <summary>
    /// Every test request comes from 127.0.0.1, so tests not about rate limits lift them; the rate-limit
    /// tests set their own (see Rpc.Tests/Security/RateLimitTests.cs).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> GenerousRateLimits = new Dictionary<string, string?>
    {
        ["RateLimits:LoginPerAddress:Burst"] = "1000000",
        ["RateLimits:LoginPerAccount:Burst"] = "1000000",
        ["RateLimits:LoginPerAccountAndAddress:Burst"] = "1000000",
        ["RateLimits:CreatePerAddress:Burst"] = "1000000",
        ["Passwords:MaxQueuedHashes"] = "100000",
        ["Passwords:MaxQueuedHashesPerAddress"] = "100000",
        ["Passwords:MaxConcurrentHashesPerAddress"] = "1024",
        ["Rpc:PacedBytesPerSecondPerAddress"] = "0",
    };

    public static async Task<RpcTestServer> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null,
        string? directory = null,
        Action<IServiceCollection>? configureServices = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "rpc-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Testing" });
        var config = new Dictionary<string, string?>
        {
            ["Server:Port"] = "0",
            ["Database:Path"] = Path.Combine(directory, "rpc.db"),
            ["Database:Synchronous"] = "NORMAL",
        };
        foreach (var (key, value) in FastHashing.Concat(GenerousRateLimits))
        {
            config[key] = value;
        }

        if (Postgres is not null)
        {
            config["Database:Provider"] = "postgres";
            config["Database:ConnectionString"] = await PostgresDatabase.EnsureAsync(Postgres, DatabaseName(directory));
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new CapturingLoggerProvider());
        builder.Services.AddRpcServer(builder.Configuration);
        configureServices?.Invoke(builder.Services);
        builder.WebHost.ConfigureRpcKestrel(builder.Configuration);
        var app = builder.Build();
        await app.Services.GetRequiredService<MigrationRunner>().ApplyAsync(CancellationToken.None);
        app.MapRpcEndpoints();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new RpcTestServer(app, directory, new Uri(address));
    }

    public T Get<T>() where T : notnull => app.Services.GetRequiredService<T>();

    /// <summary>Posts a raw body to /rpc and returns the HTTP response.</summary>
    public Task<HttpResponseMessage> PostAsync(string body, string contentType = "application/json", string? language = null, string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/rpc") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (language is not null)
        {
            request.Headers.AcceptLanguage.ParseAdd(language);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return Http.SendAsync(request);
    }

    /// <summary>Posts a raw body and parses the JSON reply.</summary>
    public async Task<JsonElement> PostJsonAsync(string body, string? language = null, string? bearer = null)
    {
        using var response = await PostAsync(body, language: language, bearer: bearer);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK), text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Calls <paramref name="method"/> over HTTP with named params and returns the whole response object.</summary>
    public Task<JsonElement> CallAsync(string method, object? parameters = null, string? token = null, string? language = null)
    {
        var envelope = new Dictionary<string, object?> { ["jsonrpc"] = "2.0", ["method"] = method, ["id"] = 1 };
        if (parameters is not null)
        {
            envelope["params"] = parameters;
        }

        if (token is not null)
        {
            envelope["auth"] = token;
        }

        return PostJsonAsync(JsonSerializer.Serialize(envelope), language);
    }

    /// <summary>Calls a method and returns its result, failing the test on an error response.</summary>
    public async Task<JsonElement> ResultAsync(string method, object? parameters = null, string? token = null)
    {
        var response = await CallAsync(method, parameters, token);
        Assert.That(response.TryGetProperty("result", out var result), Is.True, $"{method} failed: {response}");
        return result;
    }

    /// <summary>Calls a method that must fail and returns its error object.</summary>
    public async Task<JsonElement> ErrorAsync(string method, object? parameters = null, string? token = null, string? language = null)
    {
        var response = await CallAsync(method, parameters, token, language);
        Assert.That(response.TryGetProperty("error", out var error), Is.True, $"{method} should have failed: {response}");
        return error;
    }

    /// <summary>Creates a user with a unique name and logs it in.</summary>
    public async Task<TestUser> NewUserAsync(string? prefix = null, string password = "correct horse battery")
    {
        var username = $"{prefix ?? "u"}{Guid.NewGuid():N}"[..Math.Min(32, (prefix ?? "u").Length + 12)];
        var user = await ResultAsync("users.create", new { username, password });
        var auth = await ResultAsync("users.auth", new { username, password });
        return new TestUser(user.GetProperty("id").GetString()!, username, password, auth.GetProperty("token").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (KeepFiles)
        {
            return;
        }

        if (Postgres is not null)
        {
            await PostgresDatabase.DropAsync(Postgres, DatabaseName(Directory));
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Creates and drops the per-server databases of a PostgreSQL test run.</summary>
internal static class PostgresDatabase
{
    /// <summary>Creates <paramref name="name"/> unless it exists (a second server on the same folder) and returns its connection string.</summary>
    public static async Task<string> EnsureAsync(string server, string name)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        if (await connection.ExecuteScalarAsync<int?>("SELECT 1 FROM pg_database WHERE datname = @name", new { name }) is null)
        {
            // The name is built from a folder name of hex digits and a fixed prefix (DatabaseName), so quoting suffices.
            try
            {
                await connection.ExecuteAsync($"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
            {
                // A second server on the same folder, started at the same moment, created it first.
            }
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public static async Task DropAsync(string server, string name)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }
}

/// <summary>A user a test created, with its token.</summary>
public sealed record TestUser(string Id, string Username, string Password, string Token);
