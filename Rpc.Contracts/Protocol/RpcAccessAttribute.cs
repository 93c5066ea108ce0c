namespace Rpc.Contracts.Protocol;

/// <summary>Who may call a method. The server enforces it before the method runs.</summary>
public enum RpcAccess
{
    /// <summary>Anyone, with or without a token.</summary>
    Anonymous,

    /// <summary>An authenticated user: a valid session token is required.</summary>
    User,

    /// <summary>An authenticated user who has the <see cref="Users.UserFlag.Staff"/> flag.</summary>
    Staff,
}

/// <summary>Declares who may call a method of an API interface. Methods without it need an authenticated user.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RpcAccessAttribute(RpcAccess access) : Attribute
{
    /// <summary>Who may call the method.</summary>
    public RpcAccess Access { get; } = access;
}

/// <summary>
/// Gives a parameter its wire name when it is not the snake_case form of the C# name
/// (seed 002 names its parameters <c>roleID</c> and <c>expiryDate</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class RpcNameAttribute(string name) : Attribute
{
    /// <summary>The parameter's name on the wire.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Declares that a method signs its caller in. On a WebSocket the connection takes the session the
/// method opened or named and its gateway session starts (READY); a connection that already has a
/// gateway session is refused with <see cref="ErrorData.AlreadyIdentified"/> before the method runs.
/// Over HTTP the method only returns its result.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SignsInConnectionAttribute : Attribute;
