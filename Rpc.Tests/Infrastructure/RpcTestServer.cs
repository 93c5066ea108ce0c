using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rpc.Server;
using Rpc.Server.Data;

namespace Rpc.Tests.Infrastructure;

/// <summary>
/// A real server on a free loopback port with a fresh SQLite database in a temp folder, composed
/// exactly as Program.cs composes it. Tests talk to it over real HTTP and WebSocket connections.
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

    public string DatabasePath => Path.Combine(Directory, "rpc.db");

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

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A user a test created, with its token.</summary>
public sealed record TestUser(string Id, string Username, string Password, string Token);
